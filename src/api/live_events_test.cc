#include "api/live_events.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace om::api {
namespace {

constexpr int64_t kNow = 1769092620000;  // 2026-01-22T14:37:00Z

// Records what the server would send; can be closed or made to refuse like a slow client.
class RecordingSink : public StreamSink {
 public:
  bool Send(std::string bytes) override {
    if (closed_) return false;
    sent.push_back(std::move(bytes));
    return true;
  }
  void Close() override { closed_ = true; }
  bool closed() const override { return closed_; }
  std::vector<std::string> sent;
  bool closed_ = false;
};

int Count(const std::vector<std::string>& sent, std::string_view needle) {
  int n = 0;
  for (const auto& s : sent) n += s.find(needle) != std::string::npos;
  return n;
}

class LiveEventsTest : public ::testing::Test {
 protected:
  LiveEventsTest() : registry_(*catalog::Catalog::LoadBuiltin(), ingest::RegistryOptions{}) {
    store::StoreOptions options;
    options.data_dir = dir_.str();
    store_ = std::move(*store::Store::Open(options, clock_, metrics_));
    store_->Start();
  }
  ~LiveEventsTest() override { store_->Stop(); }

  void AddReport(const std::string& service, const std::string& reporter) {
    store::Report r;
    r.service = service;
    r.ts_ms = kNow;
    r.received_ms = kNow;
    r.problem = "other";
    r.reporter_key = std::hash<std::string>()(reporter);
    ASSERT_TRUE(store_->Write({r}).ok());
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{FromUnixMillis(kNow)};
  MetricsRegistry metrics_;
  ingest::ServiceRegistry registry_;
  std::unique_ptr<store::Store> store_;
  detect::Detector detector_;
  incidents::IncidentTracker incidents_;
};

TEST_F(LiveEventsTest, NewClientGetsEverythingThenOnlyChanges) {
  LiveEvents live({}, registry_, *store_, detector_, incidents_, metrics_, clock_);
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(live.Attach(sink));
  ASSERT_EQ(sink->sent.size(), 1u);
  EXPECT_EQ(sink->sent[0], "retry: 3000\n\n");
  live.PublishNow();
  ASSERT_EQ(sink->sent.size(), 3u);
  EXPECT_TRUE(sink->sent[1].starts_with("event: services\ndata: {\"evaluated_at\":null,"));
  EXPECT_TRUE(sink->sent[1].ends_with("\n\n"));
  EXPECT_EQ(Count({sink->sent[1]}, "\"id\":\"outlook\""), 1);
  EXPECT_EQ(Count({sink->sent[1]}, "\"id\":\"microsoft-365\""), 1);
  EXPECT_EQ(sink->sent[2], "event: incidents\ndata: {\"open\":[],\"changed\":[]}\n\n");

  // Nothing changed: nothing sent (the ping waits for ping_every).
  live.PublishNow();
  EXPECT_EQ(sink->sent.size(), 3u);

  // One report for outlook: the next round carries outlook alone, with its new count.
  AddReport("outlook", "u1");
  live.PublishNow();
  ASSERT_EQ(sink->sent.size(), 4u);
  const std::string& delta = sink->sent[3];
  EXPECT_TRUE(delta.starts_with("event: services\n"));
  EXPECT_NE(delta.find("{\"id\":\"outlook\",\"status\":\"normal\",\"status_since\":null,"
                       "\"reports_last_minute\":1,\"reports_last_15m\":1,\"reports_last_60m\":1,"
                       "\"reports_last_24h\":1,\"expected_per_minute\":null}"),
            std::string::npos)
      << delta;
  EXPECT_EQ(Count({delta}, "\"id\":"), 1) << delta;
  EXPECT_EQ(live.streams(), 1u);
}

TEST_F(LiveEventsTest, PingsWhenQuietAndDropsClosedClients) {
  LiveEventsOptions options;
  options.ping_every = std::chrono::milliseconds(0);
  LiveEvents live(options, registry_, *store_, detector_, incidents_, metrics_, clock_);
  auto a = std::make_shared<RecordingSink>();
  auto b = std::make_shared<RecordingSink>();
  ASSERT_TRUE(live.Attach(a));
  ASSERT_TRUE(live.Attach(b));
  live.PublishNow();
  live.PublishNow();
  EXPECT_EQ(a->sent.back(), ": ping\n\n");
  b->closed_ = true;
  live.PublishNow();
  EXPECT_EQ(live.streams(), 1u);
}

TEST_F(LiveEventsTest, RefusesPastMaxStreamsAndAfterStop) {
  LiveEventsOptions options;
  options.max_streams = 2;
  LiveEvents live(options, registry_, *store_, detector_, incidents_, metrics_, clock_);
  EXPECT_TRUE(live.Attach(std::make_shared<RecordingSink>()));
  EXPECT_TRUE(live.Attach(std::make_shared<RecordingSink>()));
  EXPECT_FALSE(live.Attach(std::make_shared<RecordingSink>()));
  live.Stop();
  EXPECT_EQ(live.streams(), 0u);
  EXPECT_FALSE(live.Attach(std::make_shared<RecordingSink>()));
}

TEST_F(LiveEventsTest, ThreadSendsTheFirstRoundPromptly) {
  LiveEventsOptions options;
  options.interval = std::chrono::milliseconds(60000);  // only the wake-up on Attach can send
  LiveEvents live(options, registry_, *store_, detector_, incidents_, metrics_, clock_);
  live.Start();
  auto sink = std::make_shared<RecordingSink>();
  // The sink is read by this thread while the round thread writes it: guard with the events
  // counter instead of the vector.
  ASSERT_TRUE(live.Attach(sink));
  bool greeted = false;
  for (int i = 0; i < 500 && !greeted; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    greeted = metrics_.GetCounter("om_sse_events_total", "").value() >= 2;
  }
  live.Stop();
  EXPECT_TRUE(greeted);
  EXPECT_EQ(Count(sink->sent, "event: services"), 1);
}

}  // namespace
}  // namespace om::api
