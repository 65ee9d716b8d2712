#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "api/admin_routes.h"
#include "api/http_server.h"
#include "api/incident_routes.h"
#include "api/report_routes.h"
#include "api/response.h"
#include "api/router.h"
#include "api/service_routes.h"
#include "api/statuspage_routes.h"
#include "api/web_routes.h"
#include "db/testing_meta_store.h"
#include "geo/testing_gazetteer.h"
#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/loopback_http.h"
#include "testing/temp_dir.h"

namespace om::api {
namespace {

constexpr int64_t kNow = 1769092620000;  // 2026-01-22T14:37:00Z

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gazetteer_ = &geo::TestingBuiltinGazetteer();
    static const std::unique_ptr<web::Assets> assets = web::Assets::LoadBuiltin();
    assets_ = assets.get();
  }

  ApiTest() : registry_(*catalog::Catalog::LoadBuiltin(), ingest::RegistryOptions{}) {
    store::StoreOptions options;
    options.data_dir = dir_.str();
    store_ = std::move(*store::Store::Open(options, clock_, metrics_));
    store_->Start();
    ingestor_ = std::make_unique<ingest::Ingestor>(ingest::IngestOptions{}, registry_, *gazetteer_,
                                                   nullptr, clock_, metrics_);
    ApiOptions api_options;
    api_options.form_rate = {.per_minute = 6, .burst = 2, .max_clients = 100};
    meta_ = db::TestingMetaStore(dir_.str());
    keys_ = std::move(*auth::ApiKeys::Open(*meta_));
    records_ = std::move(*incidents::IncidentRecords::Open(*meta_));
    subscriptions_ = std::move(*alerts::Subscriptions::Open(*meta_));
    maintenances_ = std::move(*incidents::Maintenances::Open(*meta_));
    pages_ = std::move(*incidents::StatusPages::Open(*meta_));
    no_official_ = std::move(*official::OfficialStatus::Open({}, {}, *meta_, metrics_, clock_));
    live_ = std::make_unique<LiveEvents>(LiveEventsOptions{}, registry_, *store_, detector_,
                                         incidents_, metrics_, clock_);
    api_ = std::make_unique<Routes>(api_options, *this, *no_official_);
  }
  ~ApiTest() override { store_->Stop(); }

  // Every resource of the API on one router, as server/ registers them.
  struct Routes {
    Routes(const ApiOptions& options, ApiTest& t, const official::OfficialStatus& official)
        : reports(options, *t.ingestor_, *t.store_, t.metrics_, t.clock_),
          services(options, t.registry_, *t.store_, *t.gazetteer_, t.detector_, t.incidents_,
                   official, t.clock_),
          incidents(options, t.registry_, *t.store_, *t.gazetteer_, t.detector_, t.incidents_,
                    *t.records_, t.clock_),
          admin(t.registry_, *t.subscriptions_, *t.records_, *t.maintenances_, *t.pages_, t.clock_),
          statuspage(options, t.registry_, t.detector_, *t.records_, *t.maintenances_, *t.pages_,
                     t.clock_),
          web(options, *t.assets_, t.registry_, *t.gazetteer_, t.detector_, t.incidents_, *t.live_),
          ops(t.metrics_),
          router(t.keys_.get()) {
      reports.Register(router);
      services.Register(router);
      incidents.Register(router);
      admin.Register(router);
      statuspage.Register(router);
      web.Register(router);
      ops.Register(router);
    }
    void Handle(HttpRequest&& request, Responder respond) {
      router.Handle(std::move(request), std::move(respond));
    }
    void SetReady(bool ready) { ops.SetReady(ready); }

    ReportRoutes reports;
    ServiceRoutes services;
    IncidentRoutes incidents;
    AdminRoutes admin;
    StatuspageRoutes statuspage;
    WebRoutes web;
    OpsRoutes ops;
    Router router;
  };

  HttpResponse Call(std::string method, std::string target, std::string body = "",
                    std::string content_type = "application/json",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest req;
    req.headers = std::move(headers);
    req.method = std::move(method);
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    req.body = std::move(body);
    req.content_type = std::move(content_type);
    req.client_ip = "192.0.2.7";
    std::promise<HttpResponse> done;
    api_->Handle(std::move(req), [&](HttpResponse r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  }

  static inline const geo::Gazetteer* gazetteer_ = nullptr;
  static inline const web::Assets* assets_ = nullptr;
  testing::TempDir dir_;
  std::unique_ptr<db::MetaStore> meta_;
  testing::FakeClock clock_{FromUnixMillis(kNow)};
  MetricsRegistry metrics_;
  ingest::ServiceRegistry registry_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ingest::Ingestor> ingestor_;
  detect::Detector detector_;
  incidents::IncidentTracker incidents_;
  std::unique_ptr<auth::ApiKeys> keys_;
  std::unique_ptr<incidents::IncidentRecords> records_;
  std::unique_ptr<alerts::Subscriptions> subscriptions_;
  std::unique_ptr<incidents::Maintenances> maintenances_;
  std::unique_ptr<incidents::StatusPages> pages_;
  std::unique_ptr<official::OfficialStatus> no_official_;  // polls nothing
  std::unique_ptr<LiveEvents> live_;
  std::unique_ptr<Routes> api_;
};

TEST_F(ApiTest, MixedBatchAcceptsGoodLinesAndNamesBadOnes) {
  HttpResponse r =
      Call("POST", "/api/v1/reports",
           "{\"service\":\"outlook\",\"reporter\":\"a\",\"lat\":44.98,\"lon\":-93.26}\n"
           "{\"service\":\"outlook\",\"reporter\":\"a\"}\n"
           "{\"service\":\"outlook\",\"lat\":-100,\"lon\":0}\n",
           "application/x-ndjson");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"status":"success","accepted":1,"duplicates":1,"rejected":[{"line":3,"error":"lat: must be between -90 and 90"}],"warnings":[]})");
}

TEST_F(ApiTest, NothingAcceptedIs400AndUnknownServiceIs404) {
  HttpResponse bad = Call("POST", "/api/v1/reports", R"({"service":"outlook","lat":100,"lon":0})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("rejected":[{"line":1,"error":"lat: must be between -90 and 90"}])"),
            std::string::npos);
  EXPECT_NE(bad.body.find(R"("status":"error")"), std::string::npos);
  HttpResponse unknown = Call("POST", "/api/v1/reports", R"({"service":"nope"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("unknown service \\\"nope\\\""), std::string::npos);
}

TEST_F(ApiTest, EventStreamViewsAreCheckedBeforeTheStreamStarts) {
  HttpResponse bad_view = Call("GET", "/api/v1/events?view=everything");
  EXPECT_EQ(bad_view.status, 400);
  EXPECT_NE(bad_view.body.find("view: must be one of all, home, service, map"), std::string::npos)
      << bad_view.body;
  EXPECT_FALSE(bad_view.on_stream);
  HttpResponse unknown = Call("GET", "/api/v1/events?view=service&service=nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("service: "), std::string::npos) << unknown.body;
  EXPECT_EQ(Call("GET", "/api/v1/events?view=service").status, 400);
  HttpResponse ok = Call("GET", "/api/v1/events?view=service&service=outlook");
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(ok.on_stream);
}

TEST_F(ApiTest, WrongContentTypeIs415AndWrongMethodIs405) {
  EXPECT_EQ(Call("POST", "/api/v1/reports", "{}", "text/plain").status, 415);
  EXPECT_EQ(Call("GET", "/api/v1/reports").status, 405);
  EXPECT_EQ(Call("GET", "/api/v1/nothing").status, 404);
}

TEST_F(ApiTest, SeriesAndPlacesReflectAcceptedReports) {
  std::string body;
  for (int i = 0; i < 6; ++i) {
    body += "{\"service\":\"teams\",\"reporter\":\"r" + std::to_string(i) +
            "\",\"lat\":44.98,\"lon\":-93.26,\"ts\":" + std::to_string(kNow - 120000) + "}\n";
  }
  body += "{\"service\":\"teams\",\"reporter\":\"x\",\"city\":\"Phoenix\",\"country\":\"US\"}\n";
  ASSERT_EQ(Call("POST", "/api/v1/reports", body, "application/x-ndjson").status, 200);
  HttpResponse series =
      Call("GET", "/api/v1/services/teams/series?from=" + std::to_string(kNow - 180000) +
                      "&to=" + std::to_string(kNow) + "&step=1m");
  ASSERT_EQ(series.status, 200) << series.body;
  EXPECT_NE(series.body.find("[" + std::to_string(kNow - 120000) + ",6]"), std::string::npos)
      << series.body;
  HttpResponse places = Call("GET", "/api/v1/services/teams/places?level=city");
  ASSERT_EQ(places.status, 200);
  size_t minneapolis = places.body.find("\"name\":\"Minneapolis\"");
  size_t phoenix = places.body.find("\"name\":\"Phoenix\"");
  ASSERT_NE(minneapolis, std::string::npos) << places.body;
  ASSERT_NE(phoenix, std::string::npos);
  EXPECT_LT(minneapolis, phoenix) << "most reported first";
  HttpResponse regions = Call("GET", "/api/v1/services/teams/places?level=region&rank=reports");
  EXPECT_NE(regions.body.find(R"({"region":"US-MN","reports":6})"), std::string::npos)
      << regions.body;
  // Ranked by excess (the default), with no history every place is expected its even share.
  HttpResponse excess = Call("GET", "/api/v1/services/teams/places?level=region");
  EXPECT_NE(excess.body.find(R"("rank":"excess")"), std::string::npos);
  EXPECT_NE(excess.body.find(R"({"region":"US-MN","reports":6,"expected":)"), std::string::npos)
      << excess.body;
  EXPECT_NE(excess.body.find(R"("in_footprint":true)"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/services/teams/places?rank=loudest").status, 400);
  HttpResponse svc = Call("GET", "/api/v1/services/teams");
  EXPECT_NE(svc.body.find("\"reports_last_15m\":7"), std::string::npos) << svc.body;
  HttpResponse list = Call("GET", "/api/v1/services?q=team");
  EXPECT_NE(list.body.find("\"id\":\"teams\""), std::string::npos);
  EXPECT_EQ(list.body.find("\"id\":\"slack\""), std::string::npos);
}

TEST_F(ApiTest, ServicesCarryDetectionStatusOutagesFirst) {
  // Two days of a trickle of teams reports (one an hour), then ten minutes of an outage.
  std::string body;
  for (int h = 1; h <= 48; ++h) {
    body += "{\"service\":\"teams\",\"reporter\":\"h" + std::to_string(h) +
            "\",\"ts\":" + std::to_string(kNow - 10 * 60000 - h * 3600000) + "}\n";
  }
  for (int m = 0; m < 10; ++m) {
    for (int i = 0; i < 30; ++i) {
      body += "{\"service\":\"teams\",\"reporter\":\"m" + std::to_string(m) + "-" +
              std::to_string(i) + "\",\"ts\":" + std::to_string(kNow - (10 - m) * 60000) +
              (i % 3 == 0 ? ",\"text\":\"451 4.3.2 temporary server issue\"" : "") + "}\n";
    }
  }
  ASSERT_EQ(Call("POST", "/api/v1/reports", body, "application/x-ndjson").status, 200);
  store_->Read([&](const store::Aggregates& a) {
    for (int64_t m = kNow / 60000 - 10; m < kNow / 60000; ++m) {
      detector_.Tick(a, m);
      incidents_.Update(a, *detector_.Snapshot());
    }
    return 0;
  });
  HttpResponse one = Call("GET", "/api/v1/services/teams");
  EXPECT_NE(one.body.find("\"status\":\"outage\""), std::string::npos) << one.body;
  EXPECT_NE(one.body.find("\"expected_per_minute\":0.05"), std::string::npos)
      << "the trickle is below the floor: " << one.body;
  HttpResponse list = Call("GET", "/api/v1/services");
  size_t first = list.body.find("\"id\":");
  EXPECT_EQ(list.body.compare(first, 12, "\"id\":\"teams\""), 0) << list.body.substr(0, 300);
  HttpResponse outages = Call("GET", "/api/v1/services?status=outage");
  EXPECT_NE(outages.body.find("\"id\":\"teams\""), std::string::npos);
  EXPECT_EQ(outages.body.find("\"id\":\"slack\""), std::string::npos);
  HttpResponse slack = Call("GET", "/api/v1/services/slack");
  EXPECT_NE(slack.body.find("\"status\":\"normal\",\"status_since\":null"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/services?status=broken").status, 400);
  // The outage is followed as an incident.
  HttpResponse incidents = Call("GET", "/api/v1/incidents?state=open");
  EXPECT_NE(incidents.body.find(R"("id":"OM1000001","service":"teams","state":"open")"),
            std::string::npos)
      << incidents.body;
  HttpResponse incident = Call("GET", "/api/v1/incidents/OM1000001");
  EXPECT_NE(incident.body.find(R"("resolved_at":null)"), std::string::npos) << incident.body;
  EXPECT_NE(incident.body.find(R"("started_at":"2026-01-22T14:27:00Z")"), std::string::npos);
  // The service names its open incident; a quiet one has none.
  EXPECT_NE(
      Call("GET", "/api/v1/services/teams")
          .body.find(R"("open_incident":{"id":"OM1000001","started_at":"2026-01-22T14:27:00Z"})"),
      std::string::npos);
  EXPECT_NE(Call("GET", "/api/v1/services/slack").body.find(R"("open_incident":null)"),
            std::string::npos);
  EXPECT_NE(
      incident.body.find(
          R"("errors":[{"text":"451 4.3.2 temporary server issue","code":"451 4.3.2","count":100)"),
      std::string::npos)
      << incident.body;
  EXPECT_EQ(Call("GET", "/api/v1/incidents/OM999").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/incidents?state=maybe").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/incidents?service=nope").status, 404);

  // Followed as a record: an automatic first update, then an operator's.
  EXPECT_NE(
      incident.body.find(
          R"("status":"investigating","impact":null,"services":[],"components":[],"regions":[],"merged_into":null,"members":[],"updates":[])"),
      std::string::npos)
      << "not synced yet: " << incident.body;
  ASSERT_TRUE(records_->Sync(*incidents_.Snapshot(), clock_.Now()).ok());
  incident = Call("GET", "/api/v1/incidents/OM1000001");
  EXPECT_NE(
      incident.body.find(
          R"("status":"investigating","impact":"major","services":["teams"],"components":[],"regions":[],"merged_into":null,"members":[],"updates":[{"at":"2026-01-22T14:37:00Z","status":"investigating","body":"User reports rose above the usual level at 14:27 UTC;)"),
      std::string::npos)
      << incident.body;
  auto noc = *keys_->Create("noc", auth::kIncidentWrite, clock_.Now());
  auto reporter = *keys_->Create("importer", auth::kReportWrite, clock_.Now());
  const std::string update =
      R"({"status":"identified","impact":"critical","body":"Sign-in failing <b>everywhere</b>"})";
  EXPECT_EQ(Call("POST", "/api/v1/incidents/OM1000001/updates", update).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/incidents/OM1000001/updates", update, "application/json",
                 {{"authorization", "Bearer " + reporter.token}})
                .status,
            403);
  auto with_key = [&](std::string path, std::string json) {
    return Call("POST", std::move(path), std::move(json), "application/json",
                {{"authorization", "Bearer " + noc.token}});
  };
  HttpResponse posted = with_key("/api/v1/incidents/OM1000001/updates", update);
  EXPECT_EQ(posted.status, 201) << posted.body;
  EXPECT_NE(posted.body.find(R"("status":"identified","impact":"critical")"), std::string::npos)
      << posted.body;
  EXPECT_NE(
      posted.body.find(
          R"({"at":"2026-01-22T14:37:00Z","status":"identified","body":"Sign-in failing \u003cb\u003eeverywhere\u003c/b\u003e","author":"noc"}]})"),
      std::string::npos)
      << posted.body;
  EXPECT_NE(with_key("/api/v1/incidents/OM1000001/updates", R"({"status":"fixed","body":"x"})")
                .body.find("status: must be one of investigating, identified"),
            std::string::npos);
  EXPECT_NE(with_key("/api/v1/incidents/OM1000001/updates", R"({"body":"x","eta":"soon"})")
                .body.find("eta: unknown field"),
            std::string::npos);
  EXPECT_EQ(with_key("/api/v1/incidents/OM42/updates", R"({"body":"x"})").status, 404);
}

TEST_F(ApiTest, BadQueryParametersAreNamed) {
  EXPECT_NE(Call("GET", "/api/v1/services/teams/series?step=7s")
                .body.find("step: must be a whole number of minutes"),
            std::string::npos);
  EXPECT_NE(
      Call("GET", "/api/v1/services/teams/series?from=soon").body.find("from: must be RFC 3339"),
      std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/services/teams/places?level=planet").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/services/teams/places?limit=0").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/services/nope/series").status, 404);
  HttpResponse many = Call("GET", "/api/v1/services/teams/series?from=0&step=1m");
  EXPECT_EQ(many.status, 400);
  EXPECT_NE(many.body.find("too many points"), std::string::npos);
}

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_F(ApiTest, UiRoutesServeThePageWithCsrfCookieAndPolicy) {
  HttpResponse r = Call("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("/assets/app.js"), std::string::npos);
  std::string cookie = HeaderOf(r, "Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("om_csrf=")) << cookie;
  EXPECT_NE(cookie.find("; Path=/; SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.size(), std::string("om_csrf=; Path=/; SameSite=Strict").size() + 32);
  EXPECT_NE(HeaderOf(r, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  // A page load that already has a token keeps it.
  HttpResponse again =
      Call("GET", "/map", "", "", {{"cookie", "x=1; " + cookie.substr(0, cookie.find(';'))}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(HeaderOf(again, "Set-Cookie"), "");
  EXPECT_EQ(Call("GET", "/services/outlook").status, 200);
  HttpResponse slash = Call("GET", "/services/outlook/");
  EXPECT_EQ(slash.status, 200) << "the page's own router takes a trailing slash";
  EXPECT_EQ(slash.body, r.body);
  EXPECT_EQ(Call("GET", "/incidents/OM999/").status, 404);
  HttpResponse unknown = Call("GET", "/services/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, r.body) << "the page itself says it is unknown";
  EXPECT_EQ(Call("GET", "/incidents/OM999").status, 404);
}

TEST_F(ApiTest, AssetsAreGzippedAndRevalidated) {
  HttpResponse plain = Call("GET", "/assets/app.js");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(plain.body, std::string(assets_->Find("/assets/app.js")->bytes));
  HttpResponse gz = Call("GET", "/assets/app.js", "", "", {{"accept-encoding", "gzip, br"}});
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), plain.body.size());
  std::string etag = HeaderOf(plain, "ETag");
  ASSERT_FALSE(etag.empty());
  HttpResponse cached = Call("GET", "/assets/app.js", "", "", {{"if-none-match", etag}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());
  EXPECT_EQ(Call("GET", "/assets/maps/states-10m.json").content_type, "application/json");
  EXPECT_EQ(Call("GET", "/assets/nope.js").status, 404);
}

TEST_F(ApiTest, BadgeShowsStatusAndEscapesTheName) {
  HttpResponse r = Call("GET", "/badge/outlook.svg");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "image/svg+xml");
  EXPECT_NE(r.body.find(">Outlook</text>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(">no problems</text>"), std::string::npos);
  EXPECT_EQ(Call("GET", "/badge/nope.svg").status, 404);
}

TEST_F(ApiTest, CitySuggestionsByPrefixMostPopulousFirst) {
  HttpResponse r = Call("GET", "/api/v1/geo/cities?q=Minnea&limit=3");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(
      r.body.find(
          R"({"status":"success","data":{"cities":[{"geonameid":5037649,"name":"Minneapolis","country":"US","region":"US-MN",)"),
      std::string::npos)
      << r.body;
  HttpResponse zurich = Call("GET", "/api/v1/geo/cities?q=zuri&country=ch");
  EXPECT_NE(zurich.body.find(R"("name":"Zürich")"), std::string::npos) << zurich.body;
  EXPECT_EQ(zurich.body.find(R"("country":"US")"), std::string::npos);
  EXPECT_NE(Call("GET", "/api/v1/geo/cities?q=m").body.find("q: give at least 2 letters"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/geo/cities?q=mi&limit=0").status, 400);
  EXPECT_EQ(Call("GET", "/api/v1/geo/cities?q=mi&country=XX").status, 400);
}

TEST_F(ApiTest, FormReportNeedsTheCsrfTokenAndIsRateLimited) {
  const std::string token = "0123456789abcdef0123456789abcdef";
  const std::string body =
      R"({"service":"outlook","problem":"login","city":"Minneapolis","country":"US","reporter":"w1"})";
  auto post = [&](std::vector<std::pair<std::string, std::string>> headers, std::string b = "") {
    return Call("POST", "/api/v1/web/reports", b.empty() ? body : b, "application/json",
                std::move(headers));
  };
  HttpResponse none = post({});
  EXPECT_EQ(none.status, 403);
  EXPECT_NE(
      none.body.find(R"("errorType":"forbidden","error":"csrf: the om_csrf cookie is missing)"),
      std::string::npos)
      << none.body;
  EXPECT_EQ(post({{"cookie", "om_csrf=" + token}, {"x-csrf-token", "f" + token.substr(1)}}).status,
            403);
  HttpResponse cross = post({{"cookie", "om_csrf=" + token},
                             {"x-csrf-token", token},
                             {"origin", "https://evil.example"},
                             {"host", "127.0.0.1:8080"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_NE(cross.body.find("Origin https://evil.example is not this site"), std::string::npos);
  EXPECT_EQ(post({{"cookie", "om_csrf=" + token},
                  {"x-csrf-token", token},
                  {"sec-fetch-site", "cross-site"}})
                .status,
            403);
  std::vector<std::pair<std::string, std::string>> good = {{"cookie", "om_csrf=" + token},
                                                           {"x-csrf-token", token},
                                                           {"origin", "http://127.0.0.1:8080"},
                                                           {"host", "127.0.0.1:8080"},
                                                           {"sec-fetch-site", "same-origin"}};
  HttpResponse ok = post(good);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body,
            R"({"status":"success","accepted":1,"duplicates":0,"rejected":[],"warnings":[]})");
  // The same reporter again within the window: stored, not counted (the UI says so).
  HttpResponse twice = post(good);
  EXPECT_EQ(twice.body,
            R"({"status":"success","accepted":0,"duplicates":1,"rejected":[],"warnings":[]})");
  // The burst of 2 is spent: the third is refused with a reason and Retry-After.
  HttpResponse limited = post(good);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(HeaderOf(limited, "Retry-After"), "10");
  EXPECT_NE(limited.body.find("too many reports from your address"), std::string::npos);
  // Bad fields are named as on the public endpoint.
  clock_.Advance(std::chrono::minutes(1));
  HttpResponse bad = post(good, R"({"service":"outlook","problem":"tele port"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("problem"), std::string::npos) << bad.body;
  // A problem type the service does not list still counts, with a warning naming the line.
  clock_.Advance(std::chrono::minutes(1));
  HttpResponse unlisted =
      post(good, R"({"service":"outlook","problem":"teleport","reporter":"w2"})");
  EXPECT_EQ(unlisted.status, 200) << unlisted.body;
  EXPECT_NE(
      unlisted.body.find(
          R"("accepted":1,"duplicates":0,"rejected":[],"warnings":[{"line":1,"warning":"problem: \"teleport\" is not a problem type of outlook; counted as reported"}])"),
      std::string::npos)
      << unlisted.body;
  EXPECT_NE(Call("GET", "/api/v1/services/outlook").body.find("\"reports_last_15m\":2"),
            std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/web/reports").status, 405);
}

TEST_F(ApiTest, IntakeIsLimitedPerClientUnlessSentWithAKey) {
  ApiOptions options;
  options.public_rate = {.per_minute = 60, .burst = 5, .max_clients = 100};
  Routes api(options, *this, *no_official_);
  auto post = [&](const std::string& body, std::string authorization = "") {
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v1/reports";
    req.content_type = "application/x-ndjson";
    req.body = body;
    req.client_ip = "198.51.100.4";
    if (!authorization.empty()) req.headers.emplace_back("authorization", authorization);
    std::promise<HttpResponse> done;
    api.Handle(std::move(req), [&](HttpResponse r) { done.set_value(std::move(r)); });
    return done.get_future().get();
  };
  auto lines = [](int n, const std::string& tag) {
    std::string body;
    for (int i = 0; i < n; ++i) {
      body += "{\"service\":\"slack\",\"reporter\":\"" + tag + std::to_string(i) + "\"}\n";
    }
    return body;
  };
  EXPECT_EQ(post(lines(3, "a")).status, 200);
  HttpResponse limited = post(lines(3, "b"));  // 3 + 3 > burst of 5
  EXPECT_EQ(limited.status, 429);
  EXPECT_NE(
      limited.body.find("too many reports from your address without an API key; try again in"),
      std::string::npos)
      << limited.body;
  EXPECT_EQ(HeaderOf(limited, "Retry-After"), "1");  // one token a second, one missing
  HttpResponse big = post(lines(6, "c"));
  EXPECT_EQ(big.status, 429);
  EXPECT_NE(big.body.find("a batch of 6 reports is over the per-client limit of 5"),
            std::string::npos);
  // With no token left, a batch is refused before it is parsed: garbage gets 429, not 400.
  EXPECT_EQ(post(lines(2, "e")).status, 200);
  HttpResponse unparsed = post("this is not JSON\n");
  EXPECT_EQ(unparsed.status, 429) << unparsed.body;
  EXPECT_EQ(HeaderOf(unparsed, "Retry-After"), "1");

  // A report:write key lifts the limit; a wrong key or one without the scope is refused.
  auto writer = *keys_->Create("bulk", auth::kReportWrite, clock_.Now());
  auto operator_key = *keys_->Create("ops", auth::kIncidentWrite, clock_.Now());
  HttpResponse keyed = post(lines(50, "d"), "Bearer " + writer.token);
  EXPECT_EQ(keyed.status, 200) << keyed.body;
  EXPECT_NE(keyed.body.find("\"accepted\":50"), std::string::npos);
  HttpResponse wrong = post(lines(1, "e"), "Bearer om_000000000000_" + std::string(64, 'f'));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(HeaderOf(wrong, "WWW-Authenticate"), "Bearer");
  EXPECT_NE(wrong.body.find(R"("errorType":"unauthenticated")"), std::string::npos);
  HttpResponse scope = post(lines(1, "f"), "Bearer " + operator_key.token);
  EXPECT_EQ(scope.status, 403);
  EXPECT_NE(scope.body.find("lacks the scope report:write"), std::string::npos);
  // A minute later the anonymous client may send again.
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(post(lines(5, "g")).status, 200);
}

TEST_F(ApiTest, MaintenanceWindowsAreScheduledWithAKeyAndListedOpenly) {
  auto noc = *keys_->Create("noc", auth::kIncidentWrite, clock_.Now());
  auto post = [&](const std::string& body, const std::string& token) {
    return Call("POST", "/api/v1/maintenances", body, "application/json",
                {{"authorization", "Bearer " + token}});
  };
  const std::string window =
      R"({"service":"teams","title":"Upgrade <b>1</b>","starts_at":"2026-01-22T15:00:00Z","ends_at":"2026-01-22T16:00:00Z"})";
  EXPECT_EQ(Call("POST", "/api/v1/maintenances", window).status, 401);
  HttpResponse created = post(window, noc.token);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(
      created.body,
      R"({"status":"success","data":{"id":"MW1000001","service":"teams","title":"Upgrade \u003cb\u003e1\u003c/b\u003e","body":"","starts_at":"2026-01-22T15:00:00Z","ends_at":"2026-01-22T16:00:00Z","status":"scheduled"}})");
  EXPECT_TRUE(maintenances_->Active("teams", 1769094000000 / 60000));
  HttpResponse list = Call("GET", "/api/v1/maintenances?service=teams");
  EXPECT_NE(list.body.find(R"("id":"MW1000001")"), std::string::npos);
  EXPECT_EQ(Call("GET", "/api/v1/maintenances?service=nope").status, 404);
  EXPECT_NE(
      post(R"({"service":"teams","title":"x","starts_at":"soon","ends_at":"later"})", noc.token)
          .body.find("starts_at: must be RFC 3339"),
      std::string::npos);
  EXPECT_NE(
      post(
          R"({"service":"teams","title":"x","starts_at":"2026-01-22T16:00:00Z","ends_at":"2026-01-22T15:00:00Z"})",
          noc.token)
          .body.find("ends_at: must be after starts_at"),
      std::string::npos);
  EXPECT_NE(post(R"({"service":"nope","title":"x"})", noc.token).body.find("service: unknown"),
            std::string::npos);
  EXPECT_EQ(Call("DELETE", "/api/v1/maintenances/MW1000001", "", "",
                 {{"authorization", "Bearer " + noc.token}})
                .status,
            200);
  EXPECT_EQ(Call("DELETE", "/api/v1/maintenances/MW1000001", "", "",
                 {{"authorization", "Bearer " + noc.token}})
                .status,
            404);
}

TEST_F(ApiTest, SubscriptionsNeedAnAdminKey) {
  auto admin = *keys_->Create("ops", auth::kAdmin, clock_.Now());
  auto writer = *keys_->Create("noc", auth::kIncidentWrite, clock_.Now());
  auto call = [&](std::string method, std::string path, std::string body,
                  const std::string& token) {
    return Call(std::move(method), std::move(path), std::move(body), "application/json",
                {{"authorization", "Bearer " + token}});
  };
  const std::string hook =
      R"({"channel":"webhook","url":"http://127.0.0.1:9/hook","service":"Office 365","min_impact":"major"})";
  EXPECT_EQ(Call("POST", "/api/v1/subscriptions", hook).status, 401);
  EXPECT_EQ(call("POST", "/api/v1/subscriptions", hook, writer.token).status, 403);
  HttpResponse created = call("POST", "/api/v1/subscriptions", hook, admin.token);
  ASSERT_EQ(created.status, 201) << created.body;
  // The alias resolves to the service id; the secret is shown once.
  EXPECT_NE(created.body.find(R"("channel":"webhook","url":"http://127.0.0.1:9/hook","secret":")"),
            std::string::npos)
      << created.body;
  EXPECT_NE(created.body.find(R"("service":"microsoft-365","region":null,"min_impact":"major")"),
            std::string::npos);
  std::string id = created.body.substr(created.body.find(R"("id":")") + 6, 12);
  HttpResponse list = call("GET", "/api/v1/subscriptions", "", admin.token);
  EXPECT_NE(list.body.find(id), std::string::npos);
  EXPECT_EQ(list.body.find("secret"), std::string::npos) << "listing never shows secrets";
  EXPECT_EQ(call("HEAD", "/api/v1/subscriptions", "", admin.token).status, 200)
      << "HEAD is answered wherever GET is";
  EXPECT_NE(
      call("POST", "/api/v1/subscriptions", R"({"channel":"pager","url":"http://x/"})", admin.token)
          .body.find("channel: must be one of webhook, slack, teams"),
      std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/subscriptions",
                 R"({"channel":"slack","url":"https://hooks.slack.com/services/x"})", admin.token)
                .status,
            201);
  EXPECT_NE(
      call("POST", "/api/v1/subscriptions", R"({"channel":"slack","url":"ftp://x/"})", admin.token)
          .body.find("url: must start with http:// or https://"),
      std::string::npos);
  EXPECT_EQ(call("POST", "/api/v1/subscriptions",
                 R"({"channel":"teams","url":"http://x/","service":"nope"})", admin.token)
                .status,
            400);
  HttpResponse regional =
      call("POST", "/api/v1/subscriptions",
           R"({"channel":"teams","url":"http://127.0.0.1:9/","region":"US-MN"})", admin.token);
  EXPECT_EQ(regional.status, 201) << regional.body;
  EXPECT_NE(regional.body.find(R"("service":null,"region":"US-MN")"), std::string::npos)
      << regional.body;
  EXPECT_NE(call("POST", "/api/v1/subscriptions",
                 R"({"channel":"teams","url":"http://x/","region":"Texas"})", admin.token)
                .body.find("region: must be a country"),
            std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/subscriptions/" + id, "", admin.token).status, 405);
  EXPECT_EQ(call("DELETE", "/api/v1/subscriptions/" + id, "", admin.token).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/subscriptions/" + id, "", admin.token).status, 404);
}

TEST_F(ApiTest, SeriesBandAndSparklines) {
  // Four days of 2 reports a minute around this time of day (14:00 to 15:00), so the baseline of
  // the quarter hours now and before is 2 per minute.
  std::string body;
  int64_t minute = kNow / 60000;
  for (int d = 1; d <= 4; ++d) {
    for (int m = -37; m < 23; ++m) {
      for (int i = 0; i < 2; ++i) {
        body += "{\"service\":\"teams\",\"reporter\":\"d" + std::to_string(d) + "m" +
                std::to_string(m) + "i" + std::to_string(i) +
                "\",\"ts\":" + std::to_string((minute - d * 1440 + m) * 60000) + "}\n";
      }
    }
  }
  ASSERT_EQ(Call("POST", "/api/v1/reports", body, "application/x-ndjson").status, 200);
  HttpResponse r = Call("GET", "/api/v1/services/teams/series?step=5m&expected=1&from=" +
                                   std::to_string(kNow - 600000) + "&to=" + std::to_string(kNow));
  ASSERT_EQ(r.status, 200) << r.body;
  // 5-minute steps expect 10 reports; the band's top is where 5 minutes would look possible.
  EXPECT_NE(r.body.find("\"expected\":[10,10]"), std::string::npos) << r.body;
  size_t upper = r.body.find("\"upper\":[");
  ASSERT_NE(upper, std::string::npos);
  double top = std::stod(r.body.substr(upper + 9));
  EXPECT_GE(top, 20);  // at least possible_ratio (2) times expected
  EXPECT_LT(top, 40);
  // A 15-minute step's top is where each of its three 5-minute parts would look possible.
  HttpResponse quarter =
      Call("GET", "/api/v1/services/teams/series?step=15m&expected=1&from=" +
                      std::to_string(kNow - 1800000) + "&to=" + std::to_string(kNow - 900000));
  ASSERT_EQ(quarter.status, 200) << quarter.body;
  size_t quarter_upper = quarter.body.find("\"upper\":[");
  ASSERT_NE(quarter_upper, std::string::npos) << quarter.body;
  EXPECT_DOUBLE_EQ(std::stod(quarter.body.substr(quarter_upper + 9)), 3 * top) << quarter.body;
  EXPECT_EQ(Call("GET", "/api/v1/services/teams/series?expected=yes").status, 400);

  HttpResponse list = Call("GET", "/api/v1/services?q=teams&sparkline=24h");
  ASSERT_EQ(list.status, 200);
  size_t spark = list.body.find("\"sparkline\":{\"from\":");
  ASSERT_NE(spark, std::string::npos) << list.body;
  size_t reports = list.body.find("\"reports\":[", spark);
  size_t expected = list.body.find("\"expected\":[", spark);
  ASSERT_NE(reports, std::string::npos);
  ASSERT_NE(expected, std::string::npos);
  std::string_view rest(list.body);
  auto count_items = [&](size_t at) {
    std::string_view arr = rest.substr(at, rest.find(']', at) - at);
    return std::count(arr.begin(), arr.end(), ',') + 1;
  };
  EXPECT_EQ(count_items(reports), 24);
  EXPECT_EQ(count_items(expected), 24);
  EXPECT_EQ(Call("GET", "/api/v1/services?sparkline=7d").status, 400);
}

TEST_F(ApiTest, HealthReadinessAndMetrics) {
  EXPECT_EQ(Call("GET", "/healthz").status, 200);
  EXPECT_EQ(Call("GET", "/readyz").status, 503);
  api_->SetReady(true);
  EXPECT_EQ(Call("GET", "/readyz").status, 200);
  Call("POST", "/api/v1/reports", R"({"service":"outlook","lat":100,"lon":0})");
  HttpResponse m = Call("GET", "/metrics");
  EXPECT_EQ(m.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(m.body.find("om_ingest_rejected_total{reason=\"invalid_field\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("om_ingest_queue_depth"), std::string::npos);
  EXPECT_NE(m.body.find("om_log_fsync_seconds_bucket"), std::string::npos);
}

// Compares `actual` with the golden file tests/api/<name>; OM_UPDATE_GOLDEN=1 rewrites it.
void ExpectGolden(const std::string& name, const std::string& actual) {
  std::string path = std::string(OM_GOLDEN_DIR) + "/" + name;
  if (std::getenv("OM_UPDATE_GOLDEN")) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << actual << "\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " is missing: run the test with OM_UPDATE_GOLDEN=1 to write it";
  std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(actual + "\n", expected) << "golden file " << path << " differs";
}

TEST_F(ApiTest, StatuspageV2DocumentsMatchTheGoldenFiles) {
  // One resolved and one open incident of Outlook, with an operator's update on the open one.
  incidents::IncidentSnapshot snapshot;
  incidents::Incident old_one, open_one;
  old_one.id = "OM1000001";
  old_one.service = "outlook";
  old_one.started_minute = kNow / 60000 - 300;
  old_one.detected_minute = kNow / 60000 - 298;
  open_one.id = "OM1000002";
  open_one.service = "outlook";
  open_one.started_minute = kNow / 60000 - 12;
  open_one.detected_minute = kNow / 60000 - 10;
  int64_t minute = kNow / 60000;
  snapshot.incidents = {old_one};
  ASSERT_TRUE(records_->Sync(snapshot, FromUnixMillis((minute - 298) * 60000 + 5000)).ok());
  snapshot.incidents[0].resolved_minute = minute - 240;
  ASSERT_TRUE(records_->Sync(snapshot, FromUnixMillis((minute - 240) * 60000 + 5000)).ok());
  snapshot.incidents.push_back(open_one);
  ASSERT_TRUE(records_->Sync(snapshot, FromUnixMillis((minute - 10) * 60000 + 5000)).ok());
  ASSERT_TRUE(records_
                  ->PostUpdate("OM1000002", incidents::IncidentStatus::kMonitoring,
                               incidents::Impact::kCritical, std::nullopt, "A fix is rolling out.",
                               "noc", FromUnixMillis(kNow - 60000))
                  .ok());
  // An upcoming and an active maintenance window of Outlook, scheduled through the API.
  auto noc = *keys_->Create("noc", auth::kIncidentWrite, clock_.Now());
  auto schedule = [&](const std::string& body) {
    return Call("POST", "/api/v1/maintenances", body, "application/json",
                {{"authorization", "Bearer " + noc.token}});
  };
  ASSERT_EQ(
      schedule(
          R"({"service":"outlook","title":"Mailbox migration","body":"Expect slow sign-in.","starts_at":"2026-01-22T15:37:00Z","ends_at":"2026-01-22T16:37:00Z"})")
          .status,
      201);
  ASSERT_EQ(
      schedule(
          R"({"service":"outlook","title":"Certificate renewal","starts_at":"2026-01-22T14:30:00Z","ends_at":"2026-01-22T15:00:00Z"})")
          .status,
      201);
  for (const char* doc :
       {"summary.json", "status.json", "components.json", "incidents.json",
        "incidents/unresolved.json", "scheduled-maintenances.json",
        "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json"}) {
    HttpResponse r = Call("GET", std::string("/pages/outlook/api/v2/") + doc, "", "",
                          {{"host", "status.example.org"}});
    ASSERT_EQ(r.status, 200) << doc << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(HeaderOf(r, "Access-Control-Allow-Origin"), "*");
    std::string name = doc;
    std::replace(name.begin(), name.end(), '/', '_');
    ExpectGolden("statuspage/outlook_" + name, r.body);
  }
  // The same incidents as an Atom feed; an update's markup is escaped text.
  ASSERT_TRUE(records_
                  ->PostUpdate("OM1000002", std::nullopt, std::nullopt, std::nullopt,
                               "Mail <b>queued</b> & retried", "noc", FromUnixMillis(kNow))
                  .ok());
  HttpResponse feed = Call("GET", "/api/v1/incidents.atom?service=outlook", "", "",
                           {{"host", "status.example.org"}});
  ASSERT_EQ(feed.status, 200);
  EXPECT_EQ(feed.content_type, "application/atom+xml; charset=utf-8");
  EXPECT_NE(feed.body.find("Mail &lt;b&gt;queued&lt;/b&gt; &amp; retried"), std::string::npos);
  ExpectGolden("feeds/outlook.atom", feed.body);
  EXPECT_EQ(Call("GET", "/api/v1/incidents.atom?service=nope").status, 404);
  // A page of a whole category: one component per service, the category's incidents.
  for (const char* doc : {"summary.json", "components.json"}) {
    HttpResponse r = Call("GET", std::string("/pages/category:email/api/v2/") + doc, "", "",
                          {{"host", "status.example.org"}});
    ASSERT_EQ(r.status, 200) << r.body;
    ExpectGolden(std::string("statuspage/category_email_") + doc, r.body);
  }
  // The root, /api/v2/...: off unless configured, then the chosen page.
  HttpResponse root = Call("GET", "/api/v2/summary.json");
  EXPECT_EQ(root.status, 404);
  EXPECT_NE(root.body.find("set api.statuspage_root"), std::string::npos) << root.body;
  ApiOptions rooted;
  rooted.statuspage_root = "outlook";
  Routes at_root(rooted, *this, *no_official_);
  for (const char* doc : {"summary.json", "incidents/unresolved.json"}) {
    std::promise<HttpResponse> answer;
    HttpRequest request;
    request.method = "GET";
    request.path = std::string("/api/v2/") + doc;
    request.headers.emplace_back("host", "status.example.org");
    at_root.Handle(std::move(request), [&](HttpResponse r) { answer.set_value(std::move(r)); });
    HttpResponse r = answer.get_future().get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, Call("GET", std::string("/pages/outlook/api/v2/") + doc, "", "",
                           {{"host", "status.example.org"}})
                          .body);
  }
  EXPECT_EQ(Call("GET", "/pages/category:nothing/api/v2/summary.json").status, 404);
  EXPECT_EQ(Call("GET", "/pages/nope/api/v2/summary.json").status, 404);
  EXPECT_EQ(Call("GET", "/pages/outlook/api/v2/nothing.json").status, 404);
  EXPECT_EQ(Call("GET", "/pages/outlook/api/v1/summary.json").status, 404);
}

TEST_F(ApiTest, OperatorsMergeSplitNameComponentsAndBuildPages) {
  // Microsoft 365 fails, and Outlook and Teams with it; Slack on its own.
  incidents::IncidentSnapshot snapshot;
  auto incident = [&](std::string id, std::string service, std::string upstream = "") {
    incidents::Incident i;
    i.id = std::move(id);
    i.service = std::move(service);
    i.started_minute = kNow / 60000 - 12;
    i.detected_minute = kNow / 60000 - 10;
    if (!upstream.empty()) {
      i.upstream_incident = "OM1000001";
      i.upstream_service = std::move(upstream);
    }
    return i;
  };
  snapshot.incidents = {
      incident("OM1000001", "microsoft-365"), incident("OM1000002", "outlook", "microsoft-365"),
      incident("OM1000003", "teams", "microsoft-365"), incident("OM1000004", "slack")};
  records_->SetServiceNames([&](const std::string& id) {
    auto found = registry_.Find(id);
    return found ? found->name : id;
  });
  ASSERT_TRUE(records_->Sync(snapshot, FromUnixMillis(kNow - 600000)).ok());
  auto noc = *keys_->Create("noc", auth::kIncidentWrite, clock_.Now());
  auto admin = *keys_->Create("ops", auth::kAdmin, clock_.Now());
  auto post = [&](const std::string& path, const std::string& json, const std::string& token) {
    return Call("POST", path, json, "application/json", {{"authorization", "Bearer " + token}});
  };
  // A minute later, without new dependents, followers are told who joined.
  ASSERT_TRUE(records_->Sync(snapshot, FromUnixMillis(kNow - 540000)).ok());
  HttpResponse root = Call("GET", "/api/v1/incidents/OM1000001");
  EXPECT_NE(root.body.find(R"("services":["microsoft-365","outlook","teams"])"), std::string::npos)
      << root.body;
  EXPECT_NE(root.body.find(R"("members":["OM1000002","OM1000003"])"), std::string::npos);
  EXPECT_NE(
      root.body.find("Also affected: Outlook, Microsoft Teams, which depend on Microsoft 365."),
      std::string::npos)
      << root.body;

  // Merge needs incident:write; names what is wrong.
  EXPECT_EQ(Call("POST", "/api/v1/incidents/OM1000001/merge", R"({"from":["OM1000004"]})").status,
            401);
  HttpResponse bad =
      post("/api/v1/incidents/OM1000001/merge", R"({"from":"OM1000004"})", noc.token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("from: must be an array of strings"), std::string::npos) << bad.body;
  bad = post("/api/v1/incidents/OM1000002/merge", R"({"from":["OM1000004"]})", noc.token);
  EXPECT_NE(bad.body.find("id: OM1000002 is part of OM1000001; merge into that one"),
            std::string::npos)
      << bad.body;
  EXPECT_EQ(post("/api/v1/incidents/OM9/merge", R"({"from":["OM1000004"]})", noc.token).status,
            404);
  HttpResponse merged =
      post("/api/v1/incidents/OM1000001/merge", R"({"from":["OM1000004"]})", noc.token);
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_NE(merged.body.find(R"("services":["microsoft-365","outlook","teams","slack"])"),
            std::string::npos)
      << merged.body;
  EXPECT_NE(merged.body.find("Merged in by noc: OM1000004 (Slack)."), std::string::npos);

  // Split Slack back out.
  bad = post("/api/v1/incidents/OM1000001/split", R"({"services":["microsoft-365"]})", noc.token);
  EXPECT_NE(bad.body.find("services: \\\"microsoft-365\\\" is OM1000001's own service"),
            std::string::npos)
      << bad.body;
  HttpResponse split =
      post("/api/v1/incidents/OM1000001/split", R"({"services":["slack"]})", noc.token);
  ASSERT_EQ(split.status, 200) << split.body;
  EXPECT_NE(split.body.find(R"("services":["microsoft-365","outlook","teams"])"),
            std::string::npos);
  EXPECT_NE(Call("GET", "/api/v1/incidents/OM1000004").body.find(R"("merged_into":null)"),
            std::string::npos);

  // Components: only Statuspage component ids of its services.
  bad = post("/api/v1/incidents/OM1000001/updates",
             R"({"body":"Mail only.","components":["gmail-1"]})", noc.token);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("components: \\\"gmail-1\\\" is not a component of OM1000001 "
                          "(microsoft-365-1"),
            std::string::npos)
      << bad.body;
  HttpResponse named =
      post("/api/v1/incidents/OM1000001/updates",
           R"({"body":"Mail only.","components":["outlook-1","outlook-4"]})", noc.token);
  ASSERT_EQ(named.status, 201) << named.body;
  EXPECT_NE(named.body.find(R"("components":["outlook-1","outlook-4"])"), std::string::npos);

  // A page of chosen services: admin only, unknown services and built-in ids refused.
  const std::string vendors = R"({"name":"Our vendors","services":["outlook","slack","github"]})";
  EXPECT_EQ(Call("PUT", "/api/v1/pages/vendors", vendors).status, 401);
  EXPECT_EQ(Call("PUT", "/api/v1/pages/vendors", vendors, "application/json",
                 {{"authorization", "Bearer " + noc.token}})
                .status,
            403);
  auto put = [&](const std::string& path, const std::string& json) {
    return Call("PUT", path, json, "application/json",
                {{"authorization", "Bearer " + admin.token}});
  };
  EXPECT_NE(put("/api/v1/pages/outlook", vendors).body.find(R"(id: \"outlook\" is taken)"),
            std::string::npos);
  EXPECT_NE(put("/api/v1/pages/vendors", R"({"name":"x","services":["nope"]})")
                .body.find(R"(services: unknown service \"nope\")"),
            std::string::npos);
  ASSERT_EQ(put("/api/v1/pages/vendors", vendors).status, 200);
  EXPECT_NE(Call("GET", "/api/v1/pages").body.find(R"("id":"vendors","name":"Our vendors")"),
            std::string::npos);
  for (const char* doc : {"summary.json", "incidents/unresolved.json"}) {
    HttpResponse r = Call("GET", std::string("/pages/vendors/api/v2/") + doc, "", "",
                          {{"host", "status.example.org"}});
    ASSERT_EQ(r.status, 200) << r.body;
    std::string name = doc;
    std::replace(name.begin(), name.end(), '/', '_');
    ExpectGolden("statuspage/vendors_" + name, r.body);
  }
  HttpResponse deleted =
      Call("DELETE", "/api/v1/pages/vendors", "", "", {{"authorization", "Bearer " + admin.token}});
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(Call("GET", "/pages/vendors/api/v2/summary.json").status, 404);
}

TEST_F(ApiTest, OfficialStatusAndItsAccuracyGradeBesideTheCrowd) {
  // Outlook's official page (a Statuspage fixture on 127.0.0.1) admits a problem; the crowd
  // detected two incidents: one 10 minutes ago, ongoing (acknowledged at once), and one three
  // days ago, when the page said nothing (never acknowledged).
  testing::LoopbackHttpServer page([](const std::string&) {
    return testing::LoopbackHttpServer::Reply(
        200, R"({"status":{"indicator":"major","description":"Partial System Outage"}})",
        "Content-Type: application/json\r\n");
  });
  official::OfficialOptions options;
  options.enabled = true;
  // The crowd's incidents come from the incident records, as server/ wires them.
  auto crowd = [this](std::string_view service, int64_t since_ms) {
    std::vector<official::CrowdIncident> out;
    for (const auto& r : records_->List(100)) {
      if (r.service == service && r.detected_minute * 60000 >= since_ms) {
        out.push_back({r.detected_minute * 60000, r.crowd_resolved_minute * 60000});
      }
    }
    return out;
  };
  auto official = std::move(*official::OfficialStatus::Open(
      options, {{"outlook", page.url("/api/v2/status.json"), "statuspage"}}, *meta_, metrics_,
      clock_, crowd));
  official->PollDue();
  incidents::IncidentSnapshot snapshot;
  incidents::Incident old_one, new_one;
  old_one.id = "OM1000001";
  old_one.service = "outlook";
  old_one.started_minute = kNow / 60000 - 3 * 1440 - 2;
  old_one.detected_minute = kNow / 60000 - 3 * 1440;
  old_one.resolved_minute = kNow / 60000 - 3 * 1440 + 60;
  new_one.id = "OM1000002";
  new_one.service = "outlook";
  new_one.started_minute = kNow / 60000 - 12;
  new_one.detected_minute = kNow / 60000 - 10;
  snapshot.incidents = {new_one, old_one};
  ASSERT_TRUE(records_->Sync(snapshot, clock_.Now()).ok());
  clock_.Advance(std::chrono::minutes(1));
  Routes api(ApiOptions{}, *this, *official);
  std::promise<HttpResponse> answer;
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/v1/services/outlook";
  api.Handle(std::move(request), [&](HttpResponse r) { answer.set_value(std::move(r)); });
  HttpResponse r = answer.get_future().get();
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("official":{"status":"partial","description":"Partial System Outage")"),
            std::string::npos)
      << r.body;
  // The ongoing one acknowledged at the poll, 10 minutes after its detection; one of two: C.
  EXPECT_NE(
      r.body.find(
          R"("accuracy":{"period_days":90,"incidents":2,"acknowledged":1,"median_delay_minutes":10,"grade":"C"})"),
      std::string::npos)
      << r.body;
}

TEST(ResponseTest, StatusCodesMapOnce) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  HttpResponse r = ErrorResponse(Status::ResourceExhausted("queue full"));
  EXPECT_EQ(r.status, 429);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
  EXPECT_EQ(r.body, R"({"status":"error","errorType":"resource_exhausted","error":"queue full"})");
}

// Sends raw bytes to 127.0.0.1:port and returns everything read until the server closes or
// `max_responses` HTTP responses arrived (counted by "HTTP/1.1 ").
std::string RawExchange(uint16_t port, const std::string& bytes, int max_responses) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
  std::string out;
  char buf[4096];
  for (int i = 0; i < 1000; ++i) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    int responses = 0;
    for (size_t p = out.find("HTTP/1.1 "); p != std::string::npos;
         p = out.find("HTTP/1.1 ", p + 1)) {
      ++responses;
    }
    if (responses >= max_responses &&
        out.find("\r\n\r\n", out.rfind("HTTP/1.1 ")) != std::string::npos)
      break;
  }
  ::close(fd);
  return out;
}

// One worker on a free loopback port.
HttpServerOptions LocalOptions(size_t max_body_bytes = 8u << 20) {
  HttpServerOptions options;
  options.listen = "127.0.0.1:0";
  options.threads = 1;
  options.max_body_bytes = max_body_bytes;
  return options;
}

TEST(HttpServerTest, KeepAliveTwoRequestsOnOneConnection) {
  MetricsRegistry metrics;
  auto server = HttpServer::Create(
      LocalOptions(),
      [](HttpRequest&& req, Responder respond) {
        HttpResponse r;
        r.body = req.method + " " + req.path + " " + req.query;
        respond(std::move(r));
      },
      metrics);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  (*server)->Start();
  std::string out = RawExchange((*server)->port(),
                                "GET /a?x=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                                "GET /b HTTP/1.1\r\nHost: t\r\n\r\n",
                                2);
  EXPECT_NE(out.find("GET /a x=1"), std::string::npos) << out;
  EXPECT_NE(out.find("GET /b "), std::string::npos) << out;
  (*server)->Stop();
}

TEST(HttpServerTest, OversizedBodyIs413) {
  MetricsRegistry metrics;
  auto server = HttpServer::Create(
      LocalOptions(100), [](HttpRequest&&, Responder respond) { respond(HttpResponse{}); },
      metrics);
  ASSERT_TRUE(server.ok());
  (*server)->Start();
  std::string out = RawExchange((*server)->port(),
                                "POST /api/v1/reports HTTP/1.1\r\nHost: t\r\nContent-Type: "
                                "application/json\r\nContent-Length: 500\r\n\r\n" +
                                    std::string(500, 'x'),
                                1);
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0u) << out;
  EXPECT_NE(out.find("over the limit of 100 bytes"), std::string::npos);
  (*server)->Stop();
}

// A server that answers each request 200 ms after it arrives, offered more than that by 16
// clients that send a body again as soon as they are answered, for 1.2 s.
struct SlowServerRun {
  int handled = 0;
  int ok = 0;
  int refused = 0;
  int refused_without_retry_after = 0;
  int other = 0;
};
SlowServerRun RunSlowServer(std::chrono::milliseconds max_queue_delay) {
  using Clock = std::chrono::steady_clock;
  struct Waiting {
    Responder respond;
    Clock::time_point arrived;
  };
  std::mutex mu;
  std::deque<Waiting> waiting;
  int handled = 0;
  HttpServerOptions options = LocalOptions();
  options.max_queue_delay = max_queue_delay;
  MetricsRegistry metrics;
  auto server = HttpServer::Create(
      options,
      [&](HttpRequest&&, Responder respond) {
        std::lock_guard lock(mu);
        ++handled;
        waiting.push_back({std::move(respond), Clock::now()});
      },
      metrics);
  EXPECT_TRUE(server.ok());
  if (!server.ok()) return {};
  (*server)->Start();
  const Clock::time_point start = Clock::now();
  std::atomic<bool> clients_done{false};
  std::thread answerer([&] {
    // Bounded: until the clients are done and nothing waits, or 10 s.
    while (Clock::now() - start < std::chrono::seconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard lock(mu);
      while (!waiting.empty() &&
             Clock::now() - waiting.front().arrived >= std::chrono::milliseconds(200)) {
        waiting.front().respond(HttpResponse{});
        waiting.pop_front();
      }
      if (clients_done && waiting.empty()) break;
    }
  });
  SlowServerRun run;
  std::mutex run_mu;
  std::vector<std::thread> clients;
  const std::string request =
      "POST /api/v1/reports HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-ndjson\r\n"
      "Content-Length: 10\r\n\r\n0123456789";
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 1000 && Clock::now() - start < std::chrono::milliseconds(1200); ++i) {
        std::string out = RawExchange((*server)->port(), request, 1);
        std::lock_guard lock(run_mu);
        if (out.starts_with("HTTP/1.1 200")) {
          ++run.ok;
        } else if (out.starts_with("HTTP/1.1 503")) {
          ++run.refused;
          if (out.find("Retry-After: 1") == std::string::npos) ++run.refused_without_retry_after;
        } else {
          ++run.other;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  clients_done = true;
  answerer.join();
  (*server)->Stop();
  run.handled = handled;
  return run;
}

TEST(HttpServerTest, PastItsCapacityTheServerRefusesBodiesUnreadWithRetryAfter) {
  SlowServerRun run = RunSlowServer(std::chrono::milliseconds(50));
  EXPECT_GT(run.ok, 16) << "the first requests and then the limit's are served";
  EXPECT_GT(run.refused, 0) << "answers take 200 ms, four times the target";
  EXPECT_EQ(run.refused_without_retry_after, 0);
  EXPECT_EQ(run.other, 0);
  // A refused request never reached the handler: its body was not read.
  EXPECT_EQ(run.handled, run.ok);
}

TEST(HttpServerTest, WithoutAQueueDelayTargetEveryBodyWaitsItsTurn) {
  SlowServerRun run = RunSlowServer(std::chrono::milliseconds(0));
  EXPECT_EQ(run.refused, 0);
  EXPECT_GT(run.ok, 16);
  EXPECT_EQ(run.other, 0);
  EXPECT_EQ(run.handled, run.ok);
}

TEST(HttpServerTest, StreamsChunksUntilTheProducerCloses) {
  MetricsRegistry metrics;
  auto server = HttpServer::Create(
      LocalOptions(),
      [](HttpRequest&&, Responder respond) {
        HttpResponse r;
        r.content_type = "text/event-stream";
        r.on_stream = [](std::shared_ptr<StreamSink> sink) {
          EXPECT_TRUE(sink->Send("event: a\ndata: 1\n\n"));
          EXPECT_TRUE(sink->Send("event: b\ndata: 2\n\n"));
          sink->Close();
        };
        respond(std::move(r));
      },
      metrics);
  ASSERT_TRUE(server.ok());
  (*server)->Start();
  // RawExchange reads until the server closes: the stream ends only by Close().
  std::string out = RawExchange((*server)->port(), "GET /e HTTP/1.1\r\nHost: t\r\n\r\n", 99);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_EQ(out.find("Content-Length"), std::string::npos);
  EXPECT_NE(out.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\nevent: a\ndata: 1\n\nevent: b\ndata: 2\n\n")) << out;
  (*server)->Stop();
}

TEST(HttpServerTest, HeadGetsTheHeadersOfGetWithoutTheBody) {
  MetricsRegistry metrics;
  auto server = HttpServer::Create(
      LocalOptions(),
      [](HttpRequest&&, Responder respond) {
        HttpResponse r;
        r.body = "0123456789";
        respond(std::move(r));
      },
      metrics);
  ASSERT_TRUE(server.ok());
  (*server)->Start();
  std::string out = RawExchange((*server)->port(),
                                "HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"
                                "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                                99);
  size_t second = out.find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << out;
  std::string head = out.substr(0, second);
  EXPECT_NE(head.find("Content-Length: 10\r\n"), std::string::npos) << head;
  EXPECT_TRUE(head.ends_with("\r\n\r\n")) << "no body after the headers: " << head;
  EXPECT_TRUE(out.ends_with("\r\n\r\n0123456789")) << out;
  (*server)->Stop();
}

TEST(HttpServerTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  for (bool trusted : {false, true}) {
    MetricsRegistry metrics;
    HttpServerOptions options = LocalOptions();
    if (trusted) options.trusted_proxies = {"127.0.0.1", "10.0.0.2"};
    auto server = HttpServer::Create(
        options,
        [](HttpRequest&& req, Responder respond) {
          HttpResponse r;
          r.body = "client=" + req.client_ip;
          respond(std::move(r));
        },
        metrics);
    ASSERT_TRUE(server.ok());
    (*server)->Start();
    std::string out = RawExchange((*server)->port(),
                                  "GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 203.0.113.9, "
                                  "198.51.100.7, 10.0.0.2\r\nConnection: close\r\n\r\n",
                                  99);
    // Trusted: the rightmost address that is not a trusted proxy (198.51.100.7 may have forged
    // the entry before it, so that one is not believed).
    EXPECT_TRUE(out.ends_with(trusted ? "client=198.51.100.7" : "client=127.0.0.1")) << out;
    (*server)->Stop();
  }
  MetricsRegistry metrics;
  HttpServerOptions options = LocalOptions();
  options.trusted_proxies = {"proxy.local"};
  auto bad = HttpServer::Create(options, nullptr, metrics);
  EXPECT_NE(bad.status().message().find("trusted_proxies: \"proxy.local\" is not an IP"),
            std::string::npos);
}

TEST(HttpServerTest, BadListenAddressIsNamed) {
  MetricsRegistry metrics;
  HttpServerOptions options;
  options.listen = "nonsense";
  auto server = HttpServer::Create(options, nullptr, metrics);
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("listen"), std::string::npos);
}

TEST(HttpTest, QueryParamsDecode) {
  std::string v;
  EXPECT_TRUE(QueryParam("a=1&from=2026-01-22T14%3A37%3A00Z&q=hello+world", "from", v));
  EXPECT_EQ(v, "2026-01-22T14:37:00Z");
  EXPECT_TRUE(QueryParam("a=1&q=hello+world", "q", v));
  EXPECT_EQ(v, "hello world");
  EXPECT_FALSE(QueryParam("a=1", "b", v));
  EXPECT_EQ(UrlDecode("%zz%4"), "%zz%4");
}

}  // namespace
}  // namespace om::api
