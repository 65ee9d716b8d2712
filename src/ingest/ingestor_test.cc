#include "ingest/ingestor.h"

#include <gtest/gtest.h>

#include "geo/testing_gazetteer.h"
#include "testing/fake_clock.h"

namespace om::ingest {
namespace {

constexpr int64_t kNow = 1769092620000;  // 2026-01-22T14:37:00Z

class IngestorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Shared by the suite (geo/testing_gazetteer.h).
    gazetteer_ = &geo::TestingBuiltinGazetteer();
  }
  IngestorTest()
      : registry_(*catalog::Catalog::LoadBuiltin(), RegistryOptions{.max_problem_types = 9}),
        ingestor_(IngestOptions{.max_batch_lines = 5, .max_body_bytes = 4096}, registry_,
                  *gazetteer_, nullptr, clock_, metrics_) {}

  ParsedBatch Parse(std::string_view body, BodyFormat format = BodyFormat::kNdjson,
                    std::string_view ip = "") {
    auto r = ingestor_.Parse(body, format, ip);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : ParsedBatch{};
  }
  std::string ErrorOf(std::string_view json) {
    ParsedBatch b = Parse(json, BodyFormat::kJson);
    EXPECT_EQ(b.reports.size(), 0u) << json;
    return b.rejected.empty() ? "" : b.rejected[0].error;
  }

  static inline const geo::Gazetteer* gazetteer_ = nullptr;
  testing::FakeClock clock_{FromUnixMillis(kNow)};
  MetricsRegistry metrics_;
  ServiceRegistry registry_;
  Ingestor ingestor_;
};

TEST_F(IngestorTest, AcceptsFullReportAndPlacesIt) {
  ParsedBatch b = Parse(
      R"({"service":"O365","ts":"2026-01-22T14:30:00Z","problem":"email","lat":44.98,"lon":-93.27,)"
      R"("reporter":"u1","text":"451 4.3.2 temporary server issue","source":"app"})",
      BodyFormat::kJson);
  ASSERT_EQ(b.reports.size(), 1u);
  const store::Report& r = b.reports[0];
  EXPECT_EQ(r.service, "microsoft-365");  // alias resolved
  EXPECT_EQ(r.ts_ms, kNow - 7 * 60000);
  EXPECT_EQ(r.received_ms, kNow);
  EXPECT_EQ(r.problem, "email");
  EXPECT_EQ(r.geonameid, 5037649u);  // Minneapolis
  EXPECT_EQ(r.region, "US-MN");
  EXPECT_EQ(r.country, "US");
  EXPECT_EQ(r.source, store::Source::kApp);
  EXPECT_EQ(r.text, "451 4.3.2 temporary server issue");
}

TEST_F(IngestorTest, DefaultsAndCityNamePlacement) {
  ParsedBatch b = Parse(R"({"service":"slack","city":"zurich","country":"ch"})", BodyFormat::kJson);
  ASSERT_EQ(b.reports.size(), 1u);
  EXPECT_EQ(b.reports[0].ts_ms, kNow);
  EXPECT_EQ(b.reports[0].problem, "other");
  EXPECT_EQ(b.reports[0].geonameid, 2657896u);
  EXPECT_EQ(b.reports[0].country, "CH");
}

TEST_F(IngestorTest, UnplacedReportStillCountsWithItsCountry) {
  ParsedBatch b = Parse(R"({"service":"slack","city":"Nowhere-in-particular","country":"fr"})",
                        BodyFormat::kJson);
  ASSERT_EQ(b.reports.size(), 1u);
  EXPECT_EQ(b.unplaced, 1u);
  EXPECT_EQ(b.reports[0].geonameid, 0u);
  EXPECT_EQ(b.reports[0].country, "FR");
}

TEST_F(IngestorTest, ReporterKeyFallsBackToClientIp) {
  ParsedBatch a = Parse(R"({"service":"slack"})", BodyFormat::kJson, "10.0.0.1");
  ParsedBatch b = Parse(R"({"service":"slack"})", BodyFormat::kJson, "10.0.0.1");
  ParsedBatch c = Parse(R"({"service":"slack"})", BodyFormat::kJson, "10.0.0.2");
  EXPECT_EQ(a.reports[0].reporter_key, b.reports[0].reporter_key);
  EXPECT_NE(a.reports[0].reporter_key, c.reports[0].reporter_key);
}

TEST_F(IngestorTest, ErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(R"({"service":"slack","lat":91,"lon":0})"), "lat: must be between -90 and 90");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","lat":10,"lon":-181})"),
            "lon: must be between -180 and 180");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","lat":10})"), "lon: required with lat");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","lat":"10","lon":1})"), "lat: must be a number");
  EXPECT_EQ(ErrorOf(R"({"lat":1,"lon":1})"), "service: required");
  EXPECT_EQ(ErrorOf(R"({"service":42})"), "service: must be a string");
  EXPECT_EQ(ErrorOf(R"({"service":"no-such-thing"})"),
            "service: unknown service \"no-such-thing\"");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","ts":"yesterday"})"),
            "ts: must be RFC 3339 (2026-01-22T14:37:00Z) or epoch milliseconds");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","ts":1769099999999})"),
            "ts: more than 300 seconds in the future");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","ts":1000})"), "ts: older than 400 days");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","city":"Paris"})"), "country: required with city");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","country":"USA"})"),
            "country: must be an ISO 3166-1 alpha-2 code such as \"US\"");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","ip":"999.1.1.1"})"), "ip: not an IPv4 or IPv6 address");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","source":"fax"})"),
            "source: must be one of web, app, api, social, probe");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","colour":"red"})"), "colour: unknown field");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","text":")" + std::string(1025, 'x') + "\"}"),
            "text: longer than 1024 bytes");
  EXPECT_EQ(ErrorOf(R"([1,2])"), "report must be a JSON object");
  EXPECT_EQ(ErrorOf(R"({"service":"slack"} trailing)").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"service":"slack"} {"service":"zoom"})").rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"service":"slack","problem":"no such!"})"),
            "problem: \"no such!\" is not a slug ([a-z0-9-], 1-63 chars)");
  EXPECT_EQ(ErrorOf(R"({"service":"slack","problem":""})"),
            "problem: \"\" is not a slug ([a-z0-9-], 1-63 chars)");
  EXPECT_EQ(ErrorOf(R"({"service":)").rfind("invalid JSON: ", 0), 0u);
}

TEST_F(IngestorTest, EscapedKeysMeanWhatTheyUnescapeTo) {
  ParsedBatch b = Parse(R"({"\u0073ervice":"slack","t\u0073":1769092560000})", BodyFormat::kJson);
  ASSERT_EQ(b.reports.size(), 1u) << (b.rejected.empty() ? "" : b.rejected[0].error);
  EXPECT_EQ(b.reports[0].service, "slack");
  EXPECT_EQ(b.reports[0].ts_ms, 1769092560000);
}

TEST_F(IngestorTest, BadLinesNeverCostGoodOnes) {
  ParsedBatch b = Parse(
      "{\"service\":\"slack\"}\n"
      "\n"
      "{\"service\":\"slack\",\"lat\":95,\"lon\":0}\r\n"
      "not json\n"
      "{\"service\":\"zoom\"}");
  EXPECT_EQ(b.lines, 4u);
  ASSERT_EQ(b.reports.size(), 2u);
  EXPECT_EQ(b.reports[1].service, "zoom");
  ASSERT_EQ(b.rejected.size(), 2u);
  EXPECT_EQ(b.rejected[0].line, 3u);
  EXPECT_EQ(b.rejected[0].error, "lat: must be between -90 and 90");
  EXPECT_EQ(b.rejected[1].line, 4u);
  std::string metrics = metrics_.RenderText();
  EXPECT_NE(metrics.find("om_ingest_rejected_total{reason=\"invalid_field\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("om_ingest_rejected_total{reason=\"invalid_json\"} 1"), std::string::npos);
}

TEST_F(IngestorTest, LimitsRejectWholeBody) {
  std::string six_lines;
  for (int i = 0; i < 6; ++i) six_lines += "{\"service\":\"slack\"}\n";
  auto r = ingestor_.Parse(six_lines, BodyFormat::kNdjson, "");
  EXPECT_EQ(r.status().code(), StatusCode::kTooLarge);
  std::string five_lines;
  for (int i = 0; i < 5; ++i) five_lines += "{\"service\":\"slack\"}\n";
  EXPECT_TRUE(ingestor_.Parse(five_lines, BodyFormat::kNdjson, "").ok());
  auto big = ingestor_.Parse(std::string(5000, ' '), BodyFormat::kNdjson, "");
  EXPECT_EQ(big.status().code(), StatusCode::kTooLarge);
}

TEST_F(IngestorTest, EveryReportCountsWhateverItsProblemType) {
  // slack lists 6 types; the fixture keeps at most 9 per service, so 3 new ones are kept.
  ParsedBatch b = Parse(
      "{\"service\":\"slack\",\"problem\":\"login\"}\n"
      "{\"service\":\"slack\",\"problem\":\" Huddles \"}\n"
      "{\"service\":\"slack\",\"problem\":\"canvas\"}\n"
      "{\"service\":\"slack\",\"problem\":\"huddles\"}\n"
      "{\"service\":\"slack\",\"problem\":\"workflows\"}");
  ASSERT_EQ(b.reports.size(), 5u);
  EXPECT_TRUE(b.rejected.empty());
  EXPECT_EQ(b.reports[0].problem, "login");
  EXPECT_EQ(b.reports[1].problem, "huddles");  // read as typed: trimmed, lower case
  EXPECT_EQ(b.reports[2].problem, "canvas");
  EXPECT_EQ(b.reports[4].problem, "workflows");
  // A listed type has no warning; each unlisted one has, with its line.
  ASSERT_EQ(b.warnings.size(), 4u);
  EXPECT_EQ(b.warnings[0],
            (LineWarning{2,
                         "problem: \"huddles\" is not a problem type of slack; counted as "
                         "reported"}));
  EXPECT_EQ(b.warnings[3].line, 5u);
  EXPECT_EQ(registry_.KeptProblems(*catalog::Catalog::LoadBuiltin()->IndexOf("slack")),
            (std::vector<std::string>{"huddles", "canvas", "workflows"}));

  // The bound is reached: a further new type counts as "other", a kept one still as itself.
  ParsedBatch more = Parse(
      "{\"service\":\"slack\",\"problem\":\"emoji\"}\n"
      "{\"service\":\"slack\",\"problem\":\"canvas\"}\n"
      "{\"service\":\"zoom\",\"problem\":\"emoji\"}");
  ASSERT_EQ(more.reports.size(), 3u);
  EXPECT_EQ(more.reports[0].problem, "other");
  EXPECT_EQ(more.reports[1].problem, "canvas");
  EXPECT_EQ(more.reports[2].problem, "emoji");  // the bound is per service
  ASSERT_EQ(more.warnings.size(), 3u);
  EXPECT_EQ(more.warnings[0].message,
            "problem: \"emoji\": slack already has 9 problem types (ingest.max_problem_types); "
            "counted as \"other\"");
  std::string metrics = metrics_.RenderText();
  EXPECT_NE(metrics.find("om_ingest_problem_warnings_total{counted=\"as_reported\"} 6"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("om_ingest_problem_warnings_total{counted=\"as_other\"} 1"),
            std::string::npos);
}

TEST_F(IngestorTest, ARejectedLineNeverTakesAPlaceAmongTheProblemTypes) {
  // Three free places (9 - slack's 6): three lines with new types and a bad field are rejected
  // and keep nothing; a fourth new type on a good line is still kept as reported.
  ParsedBatch bad = Parse(
      "{\"service\":\"slack\",\"problem\":\"junk-1\",\"lat\":95,\"lon\":0}\n"
      "{\"service\":\"slack\",\"problem\":\"junk-2\",\"lat\":95,\"lon\":0}\n"
      "{\"service\":\"slack\",\"problem\":\"junk-3\",\"lat\":95,\"lon\":0}");
  EXPECT_EQ(bad.rejected.size(), 3u);
  EXPECT_TRUE(bad.warnings.empty());
  ParsedBatch good = Parse(R"({"service":"slack","problem":"huddles"})", BodyFormat::kJson);
  ASSERT_EQ(good.reports.size(), 1u);
  EXPECT_EQ(good.reports[0].problem, "huddles");
  EXPECT_EQ(registry_.KeptProblems(*catalog::Catalog::LoadBuiltin()->IndexOf("slack")),
            (std::vector<std::string>{"huddles"}));
}

TEST_F(IngestorTest, AutoRegisteredServicesTakeAnyProblemTypeWithinTheBound) {
  ServiceRegistry registry(*catalog::Catalog::LoadBuiltin(),
                           {.auto_register_services = true, .max_problem_types = 7});
  Ingestor ingestor({}, registry, *gazetteer_, nullptr, clock_, metrics_);
  auto b = ingestor.Parse(
      "{\"service\":\"tim-xx\",\"problem\":\"internet\"}\n"
      "{\"service\":\"tim-xx\",\"problem\":\"internet\"}\n"
      "{\"service\":\"tim-xx\",\"problem\":\"tv\"}",
      BodyFormat::kNdjson, "");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->reports.size(), 3u);
  EXPECT_EQ(b->reports[0].problem, "internet");  // 6 defaults + internet = 7, the bound
  EXPECT_EQ(b->reports[1].problem, "internet");
  EXPECT_EQ(b->reports[2].problem, "other");
  ASSERT_EQ(b->warnings.size(), 1u);  // no list of its own: only the type past the bound warns
  EXPECT_EQ(b->warnings[0].line, 3u);
}

TEST_F(IngestorTest, AutoRegistrationWhenEnabled) {
  ServiceRegistry registry(*catalog::Catalog::LoadBuiltin(),
                           {.auto_register_services = true, .max_services = 200});
  Ingestor ingestor({}, registry, *gazetteer_, nullptr, clock_, metrics_);
  auto b = ingestor.Parse(R"({"service":"acme-widgets"})", BodyFormat::kJson, "");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->reports.size(), 1u);
  EXPECT_TRUE(registry.Find("acme-widgets")->auto_registered);
  auto upper = ingestor.Parse(R"({"service":" Acme-Gadgets "})", BodyFormat::kJson, "");
  ASSERT_EQ(upper->reports.size(), 1u);
  EXPECT_EQ(upper->reports[0].service, "acme-gadgets");
  auto bad = ingestor.Parse(R"({"service":"Not A Slug"})", BodyFormat::kJson, "");
  ASSERT_EQ(bad->rejected.size(), 1u);
  EXPECT_EQ(bad->rejected[0].error.rfind("service: cannot register service", 0), 0u);
}

}  // namespace
}  // namespace om::ingest
