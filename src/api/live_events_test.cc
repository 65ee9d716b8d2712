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

// The `id:` of an event.
std::string IdOf(const std::string& event) {
  size_t at = event.find("\nid: ");
  if (at == std::string::npos) return "";
  size_t end = event.find('\n', at + 5);
  return event.substr(at + 5, end - at - 5);
}

// The number of service rows in a "services" event.
int Rows(const std::string& event) {
  int n = 0;
  for (size_t at = event.find("{\"id\":"); at != std::string::npos;
       at = event.find("{\"id\":", at + 1)) {
    ++n;
  }
  return n;
}

LiveViewRequest View(LiveView view, std::string service = "", std::string last_event_id = "") {
  LiveViewRequest r;
  r.view = view;
  r.service = std::move(service);
  r.last_event_id = std::move(last_event_id);
  return r;
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
  EXPECT_TRUE(sink->sent[1].starts_with("event: services\nid: "));
  EXPECT_NE(sink->sent[1].find("\ndata: {\"evaluated_at\":null,"), std::string::npos);
  EXPECT_TRUE(sink->sent[1].ends_with("\n\n"));
  EXPECT_EQ(Count({sink->sent[1]}, "\"id\":\"outlook\""), 1);
  EXPECT_EQ(Count({sink->sent[1]}, "\"id\":\"microsoft-365\""), 1);
  EXPECT_TRUE(sink->sent[2].starts_with("event: incidents\nid: "));
  EXPECT_TRUE(sink->sent[2].ends_with("\ndata: {\"open\":[],\"changed\":[]}\n\n"));

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

// Options under which every round may carry the home list's counts.
LiveEventsOptions EveryRoundCounts() {
  LiveEventsOptions options;
  options.home_counts_every = std::chrono::milliseconds(0);
  return options;
}

TEST_F(LiveEventsTest, ViewsAreSentOnlyWhatTheirPagesShow) {
  LiveEvents live(EveryRoundCounts(), registry_, *store_, detector_, incidents_, metrics_, clock_);
  auto all = std::make_shared<RecordingSink>();
  auto home = std::make_shared<RecordingSink>();
  auto outlook = std::make_shared<RecordingSink>();
  auto other = std::make_shared<RecordingSink>();
  auto map = std::make_shared<RecordingSink>();
  ASSERT_TRUE(live.Attach(all));
  ASSERT_TRUE(live.Attach(home, View(LiveView::kHome)));
  ASSERT_TRUE(live.Attach(outlook, View(LiveView::kService, "outlook")));
  ASSERT_TRUE(live.Attach(other, View(LiveView::kService, "aws")));
  ASSERT_TRUE(live.Attach(map, View(LiveView::kMap)));
  live.PublishNow();
  const int services = static_cast<int>(registry_.Services().size());
  ASSERT_GT(services, 10);
  // Greetings: all and home list every service, home without the fields its list does not show;
  // a service page its service; the map nothing while every service is normal.
  EXPECT_EQ(Rows(all->sent[1]), services);
  EXPECT_EQ(Rows(home->sent[1]), services);
  EXPECT_NE(home->sent[1].find("{\"id\":\"outlook\",\"status\":\"normal\","
                               "\"reports_last_60m\":0}"),
            std::string::npos)
      << home->sent[1].substr(0, 300);
  EXPECT_LT(home->sent[1].size() * 2, all->sent[1].size()) << "the home greeting is compact";
  EXPECT_EQ(Rows(outlook->sent[1]), 1);
  EXPECT_NE(outlook->sent[1].find("\"id\":\"outlook\""), std::string::npos);
  EXPECT_EQ(Rows(map->sent[1]), 0);
  EXPECT_NE(map->sent[1].find("\"services\":[]"), std::string::npos);
  for (const auto& sink : {all, home, outlook, other, map}) {
    ASSERT_EQ(sink->sent.size(), 3u);
    EXPECT_EQ(IdOf(sink->sent[1]), IdOf(all->sent[1]));
  }

  // A report for outlook: its page and the full view hear of it; the home list too (the 60-minute
  // count moved); the aws page and the map (outlook is still normal) hear nothing.
  AddReport("outlook", "u1");
  live.PublishNow();
  EXPECT_EQ(all->sent.size(), 4u);
  ASSERT_EQ(home->sent.size(), 4u);
  EXPECT_NE(home->sent[3].find("{\"id\":\"outlook\",\"status\":\"normal\","
                               "\"reports_last_60m\":1}"),
            std::string::npos)
      << home->sent[3];
  ASSERT_EQ(outlook->sent.size(), 4u);
  EXPECT_NE(outlook->sent[3].find("\"reports_last_minute\":1"), std::string::npos);
  EXPECT_EQ(other->sent.size(), 3u);
  EXPECT_EQ(map->sent.size(), 3u);
  EXPECT_NE(IdOf(outlook->sent[3]), IdOf(outlook->sent[1])) << "each round has its own id";

  // A minute later the last-minute count drops back to 0: the full view and the service page are
  // told, the home list is not (its 60-minute count did not move).
  clock_.Advance(std::chrono::minutes(1));
  live.PublishNow();
  EXPECT_EQ(all->sent.size(), 5u);
  EXPECT_EQ(outlook->sent.size(), 5u);
  EXPECT_EQ(home->sent.size(), 4u);
}

TEST_F(LiveEventsTest, TheHomeListHearsOfQuietCountsAtItsOwnPace) {
  LiveEventsOptions options;
  options.home_counts_every = std::chrono::hours(1);
  LiveEvents live(options, registry_, *store_, detector_, incidents_, metrics_, clock_);
  auto all = std::make_shared<RecordingSink>();
  auto home = std::make_shared<RecordingSink>();
  ASSERT_TRUE(live.Attach(all));
  ASSERT_TRUE(live.Attach(home, View(LiveView::kHome)));
  live.PublishNow();
  AddReport("outlook", "u1");
  live.PublishNow();
  EXPECT_EQ(all->sent.size(), 4u) << "the full view hears of the count at once";
  EXPECT_EQ(home->sent.size(), 3u) << "the home list waits for its counts round";
  // A new home viewer is greeted with the current count all the same.
  auto late = std::make_shared<RecordingSink>();
  ASSERT_TRUE(live.Attach(late, View(LiveView::kHome)));
  live.PublishNow();
  EXPECT_NE(late->sent[1].find("{\"id\":\"outlook\",\"status\":\"normal\","
                               "\"reports_last_60m\":1}"),
            std::string::npos);
}

TEST_F(LiveEventsTest, AClientBackWithItsLastEventIdGetsOnlyWhatChanged) {
  LiveEvents live(EveryRoundCounts(), registry_, *store_, detector_, incidents_, metrics_, clock_);
  auto first = std::make_shared<RecordingSink>();
  ASSERT_TRUE(live.Attach(first, View(LiveView::kHome)));
  live.PublishNow();
  const std::string last_id = IdOf(first->sent[1]);
  ASSERT_FALSE(last_id.empty());
  first->closed_ = true;  // the connection drops
  AddReport("outlook", "u1");
  live.PublishNow();
  live.PublishNow();

  auto back = std::make_shared<RecordingSink>();
  ASSERT_TRUE(live.Attach(back, View(LiveView::kHome, "", last_id)));
  live.PublishNow();
  ASSERT_EQ(back->sent.size(), 3u);
  EXPECT_EQ(Rows(back->sent[1]), 1) << back->sent[1];
  EXPECT_NE(back->sent[1].find("\"id\":\"outlook\""), std::string::npos);
  EXPECT_EQ(metrics_.GetCounter("om_sse_streams_resumed_total", "").value(), 1u);

  // Ids of another process (another epoch), of a round not yet reached, or not ids at all get
  // the full greeting.
  const std::string epoch = last_id.substr(0, last_id.find('.'));
  for (const std::string& id : {std::string("00000000.1"), epoch + ".999999", epoch + ".x",
                                std::string("garbage"), epoch}) {
    auto fresh = std::make_shared<RecordingSink>();
    ASSERT_TRUE(live.Attach(fresh, View(LiveView::kHome, "", id)));
    live.PublishNow();
    ASSERT_GE(fresh->sent.size(), 2u) << id;
    EXPECT_EQ(Rows(fresh->sent[1]), static_cast<int>(registry_.Services().size())) << id;
  }
}

TEST(LiveViewRequestTest, ParsesTheViewAndNamesTheFieldOfAnError) {
  auto all = ParseLiveViewRequest("", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->view, LiveView::kAll);
  auto service = ParseLiveViewRequest("view=service&service=outlook&last_event_id=ab.3", "");
  ASSERT_TRUE(service.ok());
  EXPECT_EQ(service->view, LiveView::kService);
  EXPECT_EQ(service->service, "outlook");
  EXPECT_EQ(service->last_event_id, "ab.3");
  EXPECT_EQ(ParseLiveViewRequest("view=map&last_event_id=ab.3", "cd.4")->last_event_id, "cd.4")
      << "the header wins";
  EXPECT_EQ(ParseLiveViewRequest("view=home", "")->view, LiveView::kHome);
  auto bad = ParseLiveViewRequest("view=everything", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().message().starts_with("view:")) << bad.status().message();
  EXPECT_TRUE(ParseLiveViewRequest("view=service", "").status().message().starts_with("service:"));
  EXPECT_TRUE(
      ParseLiveViewRequest("view=home&service=aws", "").status().message().starts_with("service:"));
  EXPECT_TRUE(ParseLiveViewRequest("", std::string(65, 'a'))
                  .status()
                  .message()
                  .starts_with("last_event_id:"));
}

}  // namespace
}  // namespace om::api
