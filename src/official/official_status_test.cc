#include "official/official_status.h"

#include <atomic>

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "testing/fake_clock.h"
#include "testing/loopback_http.h"
#include "testing/temp_dir.h"

namespace om::official {
namespace {

constexpr int64_t kNowMs = 1769092620000;  // 2026-01-22T14:37:00Z

using Fixture = testing::LoopbackHttpServer;

std::string Http(int status, const std::string& body, const std::string& headers = "") {
  return Fixture::Reply(status, body, headers);
}

TEST(OfficialStatusTest, IndicatorsAndFeeds) {
  EXPECT_EQ(*LevelFromIndicator("none"), Level::kOperational);
  EXPECT_EQ(*LevelFromIndicator("critical"), Level::kMajor);
  EXPECT_EQ(*LevelFromIndicator("maintenance"), Level::kMaintenance);
  EXPECT_FALSE(LevelFromIndicator("purple").ok());
  const std::string rss =
      "<rss><channel><title>Status</title><item><title><![CDATA[Degraded mail &amp; calendar]]>"
      "</title><pubDate>Thu, 22 Jan 2026 13:37:00 +0000</pubDate></item>"
      "<item><title>Old</title><pubDate>Wed, 21 Jan 2026 10:00:00 GMT</pubDate></item>"
      "</channel></rss>";
  auto v = JudgeFeed(rss, kNowMs, std::chrono::hours(24));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->level, Level::kDegraded);
  EXPECT_EQ(v->title, "Degraded mail & calendar");
  EXPECT_EQ(v->entry_ms, kNowMs - 3600000);
  // The same entry resolved, or too old, counts as operational.
  auto resolved = JudgeFeed(
      "<rss><item><title>Resolved: degraded mail</title><pubDate>Thu, 22 Jan 2026 09:37:00 -0500"
      "</pubDate></item></rss>",
      kNowMs, std::chrono::hours(24));
  EXPECT_EQ(resolved->level, Level::kOperational);
  EXPECT_EQ(resolved->entry_ms, kNowMs) << "09:37 -0500 is 14:37 UTC";
  EXPECT_EQ(JudgeFeed(rss, kNowMs + 25 * 3600000LL, std::chrono::hours(24))->level,
            Level::kOperational);
  auto atom = JudgeFeed(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>S</title><entry><title>Investigating "
      "sign-in errors</title><updated>2026-01-22T14:00:00Z</updated></entry></feed>",
      kNowMs, std::chrono::hours(24));
  ASSERT_TRUE(atom.ok());
  EXPECT_EQ(atom->level, Level::kDegraded);
  EXPECT_EQ(atom->title, "Investigating sign-in errors");
  EXPECT_FALSE(JudgeFeed("<rss><channel/></rss>", kNowMs, std::chrono::hours(24)).ok());
}

TEST(OfficialStatusTest, PollsConditionallyKeepsHistoryAndBacksOff) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kNowMs));
  MetricsRegistry metrics;
  std::atomic<int> phase{0};  // 0 good, 1 not modified, 2 malformed, 3 rate limited, 4 major
  Fixture fixture([&](const std::string& request) {
    switch (phase.load()) {
      case 0:
        return Http(200, R"({"status":{"indicator":"minor","description":"Partial outage"}})",
                    "ETag: \"v1\"\r\n");
      case 1:
        return request.find("If-None-Match: \"v1\"") != std::string::npos ? Http(304, "")
                                                                          : Http(500, "");
      case 2:
        return Http(200, "<html>maintenance page</html>");
      case 3:
        return Http(429, "slow down", "Retry-After: 3600\r\n");
      default:
        return Http(200, R"({"status":{"indicator":"critical","description":"Major outage"}})");
    }
  });
  OfficialOptions options;
  options.interval = std::chrono::seconds(60);
  options.timeout = std::chrono::milliseconds(2000);
  auto o = std::move(*OfficialStatus::Open(
      options, {{"outlook", fixture.url("/api/v2/summary.json"), "statuspage"}}, *dir_meta, metrics,
      clock));
  o->PollDue();
  auto s = o->Find("outlook");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE(s->level.has_value()) << s->error;
  EXPECT_EQ(*s->level, Level::kDegraded);
  EXPECT_EQ(s->description, "Partial outage");
  EXPECT_EQ(s->since_ms, kNowMs);
  o->PollDue();  // not due yet: no request
  EXPECT_EQ(fixture.requests().size(), 1u);

  phase = 1;
  clock.Advance(std::chrono::seconds(60));
  o->PollDue();
  s = o->Find("outlook");
  EXPECT_EQ(s->checked_ms, kNowMs + 60000) << "a 304 is a good check: " << s->error;
  EXPECT_TRUE(s->error.empty());

  phase = 2;
  clock.Advance(std::chrono::seconds(60));
  o->PollDue();
  s = o->Find("outlook");
  EXPECT_EQ(*s->level, Level::kDegraded) << "the last good status stays";
  EXPECT_NE(s->error.find("invalid JSON"), std::string::npos) << s->error;
  EXPECT_EQ(s->failures, 1);
  clock.Advance(std::chrono::seconds(60));
  o->PollDue();
  EXPECT_EQ(fixture.requests().size(), 3u) << "backed off: 120 s after one failure";

  phase = 3;
  clock.Advance(std::chrono::seconds(60));
  o->PollDue();
  s = o->Find("outlook");
  EXPECT_EQ(s->error, "HTTP 429");
  clock.Advance(std::chrono::minutes(30));
  o->PollDue();
  EXPECT_EQ(fixture.requests().size(), 4u) << "Retry-After: 3600 is honoured";

  phase = 4;
  clock.Advance(std::chrono::minutes(31));
  o->PollDue();
  s = o->Find("outlook");
  EXPECT_EQ(*s->level, Level::kMajor);
  EXPECT_TRUE(s->error.empty());
  auto history = o->History("outlook", 0);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].level, Level::kDegraded);
  EXPECT_EQ(history[1].level, Level::kMajor);
  EXPECT_EQ(history[1].description, "Major outage");
  EXPECT_EQ(metrics.GetCounter("om_official_poll_failures_total", "").value(), 2u);
  // A restart knows the last level and since when, before its first poll.
  auto again = std::move(*OfficialStatus::Open(
      options, {{"outlook", fixture.url("/api/v2/summary.json"), "statuspage"}}, *dir_meta, metrics,
      clock));
  EXPECT_EQ(*again->Find("outlook")->level, Level::kMajor);
  EXPECT_EQ(again->Find("outlook")->since_ms, kNowMs + 240000 + 61 * 60000);
}

TEST(OfficialStatusTest, AccuracyGradesHowThePageFollowedTheCrowd) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kNowMs));
  MetricsRegistry metrics;
  std::atomic<int> phase{0};
  Fixture fixture([&](const std::string&) {
    static constexpr const char* kIndicators[] = {"none", "major", "none", "minor", "none"};
    return Http(200,
                std::string(R"({"status":{"indicator":")") + kIndicators[phase.load()] + R"("}})");
  });
  OfficialOptions options;
  options.interval = std::chrono::seconds(60);
  auto o = std::move(*OfficialStatus::Open(options, {{"outlook", fixture.url("/s"), "statuspage"}},
                                           *dir_meta, metrics, clock));
  // The page: operational, then a problem from +70 min to +120 min, then +300 to +310 min.
  for (auto [minute, p] : {std::pair{0, 0}, {70, 1}, {120, 2}, {300, 3}, {310, 4}}) {
    clock.Advance(std::chrono::minutes(minute) - (clock.Now() - FromUnixMillis(kNowMs)));
    phase = p;
    o->PollDue();
  }
  auto at = [](int minute) { return kNowMs + int64_t{minute} * 60000; };
  // Crowd incidents: acknowledged 10 min late; acknowledged 5 min late; never acknowledged.
  auto a = o->AccuracyOf("outlook", {{at(60), at(130)}, {at(295), at(320)}, {at(500), at(530)}},
                         at(600));
  EXPECT_EQ(a.incidents, 3);
  EXPECT_EQ(a.acknowledged, 2);
  EXPECT_EQ(a.median_delay_ms, 10 * 60000);
  EXPECT_EQ(a.grade, "C");
  EXPECT_EQ(o->AccuracyOf("outlook", {}, at(600)).grade, "");
  EXPECT_EQ(o->AccuracyOf("outlook", {{at(100), 0}}, at(600)).grade, "A") << "already showing";
}

TEST(OfficialStatusTest, ASlowSourceTimesOut) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kNowMs));
  MetricsRegistry metrics;
  Fixture fixture([](const std::string&) { return std::string(); });
  OfficialOptions options;
  options.timeout = std::chrono::milliseconds(300);
  auto o = std::move(*OfficialStatus::Open(options, {{"teams", fixture.url("/feed"), "rss"}},
                                           *dir_meta, metrics, clock));
  o->PollDue();
  auto s = o->Find("teams");
  EXPECT_FALSE(s->level.has_value());
  EXPECT_NE(s->error.find("timed out"), std::string::npos) << s->error;
}

}  // namespace
}  // namespace om::official
