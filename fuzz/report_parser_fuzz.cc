// Fuzzes ingest::Ingestor::Parse, the parser of untrusted report bodies (docs/api/reports.md).
//
// Input: the whole input (capped at 64 KiB) is the request body, so seeds are readable JSON. It is
// always parsed as NDJSON; the first byte also picks:
//   bit 0 set: parse the body a second time as one JSON object;
//   bit 1 set: use the registry with auto-registration of unknown services.
//
// Properties (violations __builtin_trap()):
//   - Parse only fails with kResourceExhausted, and only for a batch over max_batch_lines;
//   - reports + rejected == lines; rejected line numbers are in [1, newlines + 1] and strictly
//     increasing (always 1 for a single JSON object);
//   - accepted reports have a service and a problem, text <= 1024 bytes, lat/lon in range or both
//     NaN;
//   - every error message is non-empty and names a field or says "invalid JSON" / "report must be
//     a JSON object";
//   - oracle: store::EncodeReport then store::DecodeReport gives an equal Report.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/metrics.h"
#include "base/status.h"
#include "base/time.h"
#include "catalog/catalog.h"
#include "fuzz_property.h"
#include "geo/gazetteer.h"
#include "ingest/ingestor.h"
#include "ingest/service_registry.h"
#include "store/report.h"

namespace {

using om::fuzz::Require;

using om::ingest::BodyFormat;
using om::ingest::Ingestor;
using om::ingest::ParsedBatch;

constexpr size_t kMaxInputBytes = 64 << 10;

// A clock stopped at 2026-01-20T00:00:00Z.
class FixedClock final : public om::Clock {
 public:
  om::Timestamp Now() const override { return om::FromUnixMillis(1768867200000); }
};

// Everything the Ingestor borrows, built once per process. Intentionally leaked (process lifetime).
struct World {
  std::unique_ptr<om::geo::Gazetteer> gazetteer;
  std::unique_ptr<om::ingest::ServiceRegistry> fixed_registry;
  std::unique_ptr<om::ingest::ServiceRegistry> auto_registry;
  FixedClock clock;
  om::MetricsRegistry metrics;
  std::unique_ptr<Ingestor> fixed;     // unknown services are rejected
  std::unique_ptr<Ingestor> auto_reg;  // unknown services are registered

  World() {
    auto catalog = om::catalog::Catalog::LoadBuiltin();
    Require(catalog.ok());
    auto gaz = om::geo::Gazetteer::LoadBuiltin();
    Require(gaz.ok());
    gazetteer = std::move(*gaz);
    fixed_registry =
        std::make_unique<om::ingest::ServiceRegistry>(*catalog, om::ingest::RegistryOptions{});
    auto_registry = std::make_unique<om::ingest::ServiceRegistry>(
        *catalog, om::ingest::RegistryOptions{.auto_register_services = true});
    fixed = std::make_unique<Ingestor>(om::ingest::IngestOptions{}, *fixed_registry, *gazetteer,
                                       nullptr, clock, metrics);
    auto_reg = std::make_unique<Ingestor>(om::ingest::IngestOptions{}, *auto_registry, *gazetteer,
                                          nullptr, clock, metrics);
  }
};

World& GetWorld() {
  static World* world = new World();  // intentionally leaked: process lifetime
  return *world;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// True when `message` says what was wrong: the JSON itself, or a field by name.
bool NamesFieldOrJson(std::string_view message) {
  static constexpr std::string_view kFields[] = {"service",  "problem", "ts",      "lat",
                                                 "lon",      "city",    "country", "ip",
                                                 "reporter", "text",    "source"};
  if (message.empty()) return false;
  if (StartsWith(message, "invalid JSON") || StartsWith(message, "report must be a JSON object")) {
    return true;
  }
  for (std::string_view field : kFields) {
    if (message.size() > field.size() + 2 && StartsWith(message, field) &&
        message.substr(field.size(), 2) == ": ") {
      return true;
    }
  }
  // `<key>: unknown field` names the offending key (cut at 64 bytes).
  constexpr std::string_view kUnknown = ": unknown field";
  return message.size() >= kUnknown.size() &&
         message.substr(message.size() - kUnknown.size()) == kUnknown;
}

void CheckReport(const om::store::Report& r) {
  Require(!r.service.empty());
  Require(!r.problem.empty());
  // Any problem type is accepted, but only as a slug: the per-type counts never hold junk.
  Require(om::catalog::IsValidSlug(r.problem));
  Require(r.text.size() <= om::store::kMaxTextBytes);
  Require(std::isnan(r.lat) == std::isnan(r.lon));
  Require(std::isnan(r.lat) || (r.lat >= -90 && r.lat <= 90));
  Require(std::isnan(r.lon) || (r.lon >= -180 && r.lon <= 180));
  // Oracle: the log payload round-trips.
  std::string payload;
  om::store::EncodeReport(r, payload);
  om::Result<om::store::Report> decoded = om::store::DecodeReport(payload);
  Require(decoded.ok());
  Require(*decoded == r);
}

void CheckBatch(const Ingestor& ingestor, std::string_view body, BodyFormat format) {
  size_t newlines = 0;
  for (char c : body) newlines += c == '\n';
  om::Result<ParsedBatch> result = ingestor.Parse(body, format, "203.0.113.7");
  if (!result.ok()) {
    // The body is under max_body_bytes, so only the NDJSON line limit can refuse it whole.
    Require(format == BodyFormat::kNdjson);
    Require(result.status().code() == om::StatusCode::kResourceExhausted);
    Require(newlines >= ingestor.options().max_batch_lines);
    Require(!result.status().message().empty());
    return;
  }
  const ParsedBatch& batch = *result;
  Require(batch.reports.size() + batch.rejected.size() == batch.lines);
  Require(batch.unplaced <= batch.reports.size());
  if (format == BodyFormat::kJson) Require(batch.lines == 1);
  size_t previous = 0;
  for (const om::ingest::LineError& e : batch.rejected) {
    Require(e.line >= 1 && e.line <= newlines + 1);
    if (format == BodyFormat::kJson) Require(e.line == 1);
    Require(e.line > previous);
    previous = e.line;
    Require(NamesFieldOrJson(e.error));
    Require(e.code == om::StatusCode::kInvalidArgument || e.code == om::StatusCode::kNotFound ||
            e.code == om::StatusCode::kResourceExhausted);
  }
  for (const om::store::Report& r : batch.reports) CheckReport(r);
  // A warning is about an accepted line, names the problem field, and comes in line order.
  Require(batch.warnings.size() <= batch.reports.size());
  previous = 0;
  for (const om::ingest::LineWarning& w : batch.warnings) {
    Require(w.line >= 1 && w.line <= newlines + 1 && w.line > previous);
    previous = w.line;
    Require(w.message.rfind("problem: ", 0) == 0);
    for (const om::ingest::LineError& e : batch.rejected) Require(e.line != w.line);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;  // reject: not added to the corpus
  World& world = GetWorld();
  std::string_view body(reinterpret_cast<const char*>(data), size);
  uint8_t selector = size > 0 ? data[0] : 0;
  const Ingestor& ingestor = (selector & 2) != 0 ? *world.auto_reg : *world.fixed;
  CheckBatch(ingestor, body, BodyFormat::kNdjson);
  if ((selector & 1) != 0) CheckBatch(ingestor, body, BodyFormat::kJson);
  return 0;
}
