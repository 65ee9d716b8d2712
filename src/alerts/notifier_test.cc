#include "alerts/notifier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "testing/fake_clock.h"
#include "testing/loopback_http.h"
#include "testing/temp_dir.h"

namespace om::alerts {
namespace {

constexpr int64_t kMinute = 29'484'877;  // 2026-01-22T14:37Z

// A webhook receiver on 127.0.0.1: answers each request with the next status of `statuses` (the
// last one repeats).
class Receiver {
 public:
  explicit Receiver(std::vector<int> statuses)
      : server_([this, statuses = std::move(statuses)](const std::string&) {
          int status = statuses[std::min(next_++, statuses.size() - 1)];
          return testing::LoopbackHttpServer::Reply(status, "ok");
        }) {}
  std::string url() const { return server_.url("/hook"); }
  std::vector<std::string> requests() { return server_.requests(); }

 private:
  size_t next_ = 0;  // touched only by the server's thread
  testing::LoopbackHttpServer server_;
};

incidents::Incident Open(std::string id, std::string service) {
  incidents::Incident i;
  i.id = std::move(id);
  i.service = std::move(service);
  i.started_minute = kMinute - 2;
  i.detected_minute = kMinute;
  return i;
}

TEST(NotifierTest, WebhookSignatureIsHmacSha256) {
  // RFC 4231-style check with the well-known "quick brown fox" vector.
  EXPECT_EQ(WebhookSignature("key", "The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(NotifierTest, DeliversInOrderRetriesWithBackoffAndResumesAfterRestart) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kMinute * 60000));
  MetricsRegistry metrics;
  Receiver receiver({500, 200});
  auto records = std::move(*incidents::IncidentRecords::Open(*dir_meta));
  std::string secret, id;
  {
    auto subs = std::move(*Subscriptions::Open(*dir_meta));
    auto webhook = subs->Create(Channel::kWebhook, receiver.url(), "outlook", "",
                                incidents::Impact::kNone, 0, clock.Now());
    ASSERT_TRUE(webhook.ok()) << webhook.status().ToString();
    secret = webhook->secret;
    id = webhook->id;
    EXPECT_EQ(secret.size(), 64u);
    incidents::IncidentSnapshot snapshot;
    snapshot.incidents = {Open("OM1000001", "outlook"), Open("OM1000002", "slack")};
    ASSERT_TRUE(records->Sync(snapshot, clock.Now()).ok());
    ASSERT_TRUE(records
                    ->PostUpdate("OM1000001", incidents::IncidentStatus::kIdentified, std::nullopt,
                                 std::nullopt, "Found it \"quoted\"", "noc", clock.Now())
                    .ok());
    Notifier notifier(
        {.timeout = std::chrono::milliseconds(3000)}, *records, *subs,
        [](const std::string& s) { return s == "outlook" ? "Outlook" : s; }, metrics, clock);
    notifier.RunOnce();  // the first attempt gets 500: retried in 2 s, nothing else sent
    ASSERT_EQ(receiver.requests().size(), 1u);
    auto listed = subs->List();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].attempts, 1);
    EXPECT_EQ(listed[0].last_error, "HTTP 500");
    EXPECT_EQ(listed[0].next_attempt_ms, kMinute * 60000 + 2000);
    notifier.RunOnce();  // not due yet
    EXPECT_EQ(receiver.requests().size(), 1u);
  }
  // A restart: the subscription resumes its retry from the database.
  clock.Advance(std::chrono::seconds(2));
  auto subs = std::move(*Subscriptions::Open(*dir_meta));
  Notifier notifier(
      {.timeout = std::chrono::milliseconds(3000)}, *records, *subs,
      [](const std::string& s) { return s == "outlook" ? "Outlook" : s; }, metrics, clock);
  notifier.RunOnce();
  auto requests = receiver.requests();
  // The retried opening update, then the operator's; slack's incident is not for this filter.
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].substr(requests[1].find("\r\n\r\n") + 4),
            requests[0].substr(requests[0].find("\r\n\r\n") + 4));
  const std::string& last = requests[2];
  std::string body = last.substr(last.find("\r\n\r\n") + 4);
  EXPECT_TRUE(last.starts_with("POST /hook HTTP/1.1\r\n")) << last;
  EXPECT_NE(last.find("X-Outagemap-Signature: " + WebhookSignature(secret, body)),
            std::string::npos)
      << last;
  EXPECT_NE(last.find("X-Outagemap-Delivery: " + id + "-3"), std::string::npos) << last;
  EXPECT_NE(
      body.find(
          R"("incident":{"id":"OM1000001","service":"outlook","service_name":"Outlook","status":"identified","impact":"major","url":"http://127.0.0.1:8080/incidents/OM1000001","services":["outlook"],"components":[],"regions":[]})"),
      std::string::npos)
      << body;
  EXPECT_NE(body.find(R"("body":"Found it \"quoted\"","author":"noc")"), std::string::npos);
  auto listed = subs->List();
  EXPECT_EQ(listed[0].delivered, 2);
  EXPECT_EQ(listed[0].attempts, 0);
  EXPECT_EQ(listed[0].cursor_seq, 3);
  EXPECT_EQ(metrics.GetCounter("om_notifications_sent_total", "").value(), 2u);
  EXPECT_EQ(metrics.GetCounter("om_notifications_failed_total", "").value(), 1u);
}

TEST(NotifierTest, HoldDownHidesBlipsAndDelaysOpenings) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kMinute * 60000));
  MetricsRegistry metrics;
  Receiver receiver({200});
  auto records = std::move(*incidents::IncidentRecords::Open(*dir_meta));
  auto subs = std::move(*Subscriptions::Open(*dir_meta));
  ASSERT_TRUE(subs->Create(Channel::kWebhook, receiver.url(), "", "", incidents::Impact::kNone, 0,
                           clock.Now())
                  .ok());
  NotifierOptions options;
  options.hold_down = std::chrono::minutes(5);
  Notifier notifier(options, *records, *subs, nullptr, metrics, clock);
  // A blip opened and resolved two minutes later, and a real outage opened at the same time.
  incidents::IncidentSnapshot snapshot;
  snapshot.incidents = {Open("OM1000001", "outlook"), Open("OM1000002", "teams")};
  ASSERT_TRUE(records->Sync(snapshot, clock.Now()).ok());
  notifier.RunOnce();
  EXPECT_TRUE(receiver.requests().empty()) << "both are inside the hold-down";
  clock.Advance(std::chrono::minutes(2));
  snapshot.incidents[0].resolved_minute = kMinute + 2;
  ASSERT_TRUE(records->Sync(snapshot, clock.Now()).ok());
  notifier.RunOnce();
  EXPECT_TRUE(receiver.requests().empty()) << "teams is still inside the hold-down";
  clock.Advance(std::chrono::minutes(4));
  notifier.RunOnce();
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u) << "the blip is told to nobody, the outage once";
  EXPECT_NE(requests[0].find(R"("id":"OM1000002")"), std::string::npos);
}

TEST(NotifierTest, ACascadeOfThirtyIsTwoNotificationsAndRegionsFilter) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kMinute * 60000));
  MetricsRegistry metrics;
  Receiver everyone({200}), app7({200}), minnesota({200}), germany({200});
  auto records = std::move(*incidents::IncidentRecords::Open(*dir_meta));
  auto subs = std::move(*Subscriptions::Open(*dir_meta));
  auto subscribe = [&](Receiver& r, std::string service, std::string region) {
    ASSERT_TRUE(subs->Create(Channel::kWebhook, r.url(), service, region, incidents::Impact::kNone,
                             0, clock.Now())
                    .ok());
  };
  subscribe(everyone, "", "");
  subscribe(app7, "app7", "");  // a dependent's own subscribers
  subscribe(minnesota, "", "US-MN");
  subscribe(germany, "", "DE");
  EXPECT_EQ(subs->Create(Channel::kWebhook, everyone.url(), "", "Minnesota",
                         incidents::Impact::kNone, 0, clock.Now())
                .status()
                .message(),
            "region: must be a country (ISO 3166-1 alpha-2, \"US\") or a region (ISO 3166-2, "
            "\"US-MN\")");
  Notifier notifier({}, *records, *subs, nullptr, metrics, clock);
  // The upstream, where reports rose in Minnesota; then thirty dependents over two minutes.
  auto in_minnesota = [](const incidents::Incident&) { return std::vector<std::string>{"US-MN"}; };
  incidents::IncidentSnapshot snapshot;
  snapshot.incidents = {Open("OM1000001", "cloud")};
  ASSERT_TRUE(records->Sync(snapshot, clock.Now(), in_minnesota).ok());
  for (int minute = 1; minute <= 2; ++minute) {
    clock.Advance(std::chrono::minutes(1));
    for (int k = 0; k < 15; ++k) {
      int n = (minute - 1) * 15 + k;
      incidents::Incident i = Open("OM10001" + std::to_string(10 + n), "app" + std::to_string(n));
      i.upstream_incident = "OM1000001";
      i.upstream_service = "cloud";
      snapshot.incidents.push_back(i);
    }
    ASSERT_TRUE(records->Sync(snapshot, clock.Now(), in_minnesota).ok());
    notifier.RunOnce();
  }
  // A minute without a new dependent: the cascade has paused.
  clock.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(records->Sync(snapshot, clock.Now(), in_minnesota).ok());
  notifier.RunOnce();
  // Opened, then one "Also affected" for all thirty: two notifications, not thirty-one.
  auto told = everyone.requests();
  ASSERT_EQ(told.size(), 2u);
  EXPECT_NE(told[0].find(R"("id":"OM1000001","service":"cloud")"), std::string::npos) << told[0];
  EXPECT_NE(told[1].find(R"("services":["cloud","app0",)"), std::string::npos) << told[1];
  EXPECT_NE(told[1].find("Also affected: app0, app1,"), std::string::npos) << told[1];
  EXPECT_NE(told[1].find("app29, which depend on cloud."), std::string::npos) << told[1];
  // app7's subscribers hear through the group's incident, which covers app7 from its first
  // minute: the whole story, once.
  auto for_app7 = app7.requests();
  ASSERT_EQ(for_app7.size(), 2u);
  EXPECT_NE(for_app7[1].find("Also affected: app0, app1,"), std::string::npos) << for_app7[1];
  EXPECT_EQ(minnesota.requests().size(), 2u);
  EXPECT_TRUE(germany.requests().empty());

  // A region subscription waits for a new incident's footprint rather than miss its opening.
  snapshot.incidents.push_back(Open("OM1000200", "bank"));
  auto in_berlin_later = [&](const incidents::Incident& i) {
    if (i.service != "bank") return std::vector<std::string>{"US-MN"};
    if (clock.Now() < FromUnixMillis((kMinute + 4) * 60000)) return std::vector<std::string>{};
    return std::vector<std::string>{"DE-BE"};
  };
  ASSERT_TRUE(records->Sync(snapshot, clock.Now(), in_berlin_later).ok());
  notifier.RunOnce();
  EXPECT_TRUE(germany.requests().empty()) << "where it is is not known yet";
  EXPECT_EQ(everyone.requests().size(), 3u);
  clock.Advance(std::chrono::minutes(2));
  ASSERT_TRUE(records->Sync(snapshot, clock.Now(), in_berlin_later).ok());
  notifier.RunOnce();
  ASSERT_EQ(germany.requests().size(), 1u);
  EXPECT_NE(germany.requests()[0].find(R"("regions":["DE-BE"])"), std::string::npos);
  EXPECT_EQ(minnesota.requests().size(), 2u);
}

TEST(NotifierTest, SlackAndTeamsPayloads) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kMinute * 60000));
  MetricsRegistry metrics;
  auto records = std::move(*incidents::IncidentRecords::Open(*dir_meta));
  auto subs = std::move(*Subscriptions::Open(*dir_meta));
  incidents::IncidentSnapshot snapshot;
  snapshot.incidents = {Open("OM1000001", "outlook")};
  ASSERT_TRUE(records->Sync(snapshot, clock.Now()).ok());
  Notifier notifier(
      {.public_url = "http://status.example.org"}, *records, *subs,
      [](const std::string&) { return std::string("Outlook"); }, metrics, clock);
  auto event = records->UpdatesSince(0, 1).at(0);
  Subscription slack;
  slack.channel = Channel::kSlack;
  EXPECT_EQ(
      notifier.Payload(slack, event),
      R"j({"text":"*Outlook: investigating (OM1000001, impact major)*\nUser reports rose above the usual level at 14:35 UTC; outagemap declared an outage at 14:37 UTC.\n\u003chttp://status.example.org/incidents/OM1000001|Incident page\u003e"})j");
  event.update.body = "a <b> & c";
  // Slack entities, then JSON-escaped (& as \\u0026).
  EXPECT_NE(notifier.Payload(slack, event).find(R"(a \u0026lt;b\u0026gt; \u0026amp; c)"),
            std::string::npos);
  Subscription am;
  am.channel = Channel::kAlertmanager;
  EXPECT_EQ(
      notifier.Payload(am, records->UpdatesSince(0, 1).at(0)),
      R"j([{"labels":{"alertname":"OutagemapIncident","service":"outlook","incident":"OM1000001"},"annotations":{"summary":"Outlook: investigating (OM1000001, impact major)","description":"User reports rose above the usual level at 14:35 UTC; outagemap declared an outage at 14:37 UTC.","service_name":"Outlook","services":"outlook","status":"investigating","impact":"major"},"startsAt":"2026-01-22T14:37:00Z","endsAt":"2026-01-23T14:37:00Z","generatorURL":"http://status.example.org/incidents/OM1000001"}])j");
  Subscription teams;
  teams.channel = Channel::kTeams;
  std::string card = notifier.Payload(teams, event);
  EXPECT_TRUE(card.starts_with(
      R"j({"@type":"MessageCard","@context":"https://schema.org/extensions","summary":"Outlook: investigating (OM1000001, impact major)","themeColor":"D55E00")j"))
      << card;
  EXPECT_NE(card.find(R"("uri":"http://status.example.org/incidents/OM1000001")"),
            std::string::npos);
}

TEST(NotifierTest, AnUnreachableReceiverTimesOutAndIsRetried) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  testing::FakeClock clock(FromUnixMillis(kMinute * 60000));
  MetricsRegistry metrics;
  auto records = std::move(*incidents::IncidentRecords::Open(*dir_meta));
  auto subs = std::move(*Subscriptions::Open(*dir_meta));
  // A port nothing listens on (bound, then closed).
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  ASSERT_TRUE(subs->Create(Channel::kWebhook,
                           "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/", "", "",
                           incidents::Impact::kNone, 0, clock.Now())
                  .ok());
  incidents::IncidentSnapshot snapshot;
  snapshot.incidents = {Open("OM1000001", "outlook")};
  ASSERT_TRUE(records->Sync(snapshot, clock.Now()).ok());
  Notifier notifier({.timeout = std::chrono::milliseconds(500)}, *records, *subs, nullptr, metrics,
                    clock);
  notifier.RunOnce();
  auto s = subs->List().at(0);
  EXPECT_EQ(s.attempts, 1);
  EXPECT_NE(s.last_error.find("connect 127.0.0.1"), std::string::npos) << s.last_error;
  EXPECT_EQ(s.cursor_seq, 0);
}

}  // namespace
}  // namespace om::alerts
