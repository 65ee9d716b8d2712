#pragma once
// Ingestor turns request bodies into validated, placed store::Reports (docs/api/README.md):
// one JSON object, or NDJSON with one object per line. A bad line becomes a LineError naming the
// line and the field; it never costs the good lines of its batch.
//
// Per report: the service is resolved through the ServiceRegistry, the problem type fitted to
// the service (a type the service does not list still counts, with a LineWarning), the time taken
// from `ts` (RFC 3339 or epoch milliseconds) or the server clock, and the place found from lat/lon,
// else city + country, else the `ip` field, else the client IP (when an IP database is configured).
// A report that cannot be placed is kept unplaced. The reporter key is a hash of `reporter`, else
// of the client IP.
//
// Thread-safety: Parse is const and thread-safe (HTTP workers share one Ingestor).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/metrics.h"
#include "base/option_key.h"
#include "base/status.h"
#include "base/time.h"
#include "geo/gazetteer.h"
#include "geo/ip_locator.h"
#include "ingest/service_registry.h"
#include "store/report.h"

namespace om::ingest {

struct IngestOptions {
  // Most lines in one NDJSON body; more is rejected whole (HTTP 413).
  size_t max_batch_lines = 10000;
  // Largest request body in bytes; more is rejected whole (HTTP 413).
  size_t max_body_bytes = 8u << 20;
  // Reports with `ts` further in the future than this (vs. the server clock) are rejected.
  Duration max_future_skew = std::chrono::minutes(5);
  // Reports with `ts` older than this are rejected (0: no limit, used by `outagemap import`).
  Duration max_age = std::chrono::hours(24 * 400);
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kIngestOptionKeys[] = {
    {"ingest.max_batch_lines", OptionType::kInt, "", 1, 10000000,
     "most lines in one NDJSON body (413 past it)"},
    {"ingest.max_body_bytes", OptionType::kInt, "bytes", 1, 4294967296,
     "largest request body (413 past it)"},
    {"ingest.max_future_skew_seconds", OptionType::kInt, "s", 0, 86400,
     "a `ts` further in the future is rejected"},
    {"ingest.max_age_days", OptionType::kInt, "days", 0, 36500,
     "a `ts` older than this is rejected (not applied by `import`)"},
};

enum class BodyFormat { kJson, kNdjson };

struct LineError {
  size_t line = 0;    // 1-based line of the body (1 for a single JSON object)
  std::string error;  // "lat: must be between -90 and 90"
  StatusCode code = StatusCode::kInvalidArgument;  // kNotFound for an unknown service
  bool operator==(const LineError&) const = default;
};

// An accepted line that was not taken quite as sent: `message` says how it counted.
struct LineWarning {
  size_t line = 0;  // 1-based line of the body
  std::string
      message;  // "problem: \"internet\" is not a problem type of tim-br; counted as reported"
  bool operator==(const LineWarning&) const = default;
};

struct ParsedBatch {
  std::vector<store::Report> reports;
  std::vector<LineError> rejected;
  std::vector<LineWarning> warnings;  // lines among `reports` that were accepted with a warning
  size_t lines = 0;                   // non-empty lines seen
  size_t unplaced = 0;                // accepted reports without a place
};

class Ingestor {
 public:
  // `gazetteer` and `registry` are required; `ip_locator` may be null. All borrowed: they must
  // outlive the Ingestor.
  Ingestor(IngestOptions options, ServiceRegistry& registry, const geo::Gazetteer& gazetteer,
           const geo::IpLocator* ip_locator, const Clock& clock, MetricsRegistry& metrics);
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;
  ~Ingestor() = default;

  // Parses `body`. Whole-body errors: kTooLarge when the body is over max_body_bytes or
  // has more than max_batch_lines lines (nothing is parsed then). Per-line problems go to
  // `rejected`. `client_ip` may be empty.
  Result<ParsedBatch> Parse(std::string_view body, BodyFormat format,
                            std::string_view client_ip) const;

  const IngestOptions& options() const { return options_; }

 private:
  // Fills `report` from one JSON object; on error `report` is garbage and must be dropped.
  // `warning` is set when the report is accepted but not quite as sent.
  Status ParseOne(std::string_view json, size_t allocated, std::string_view client_ip,
                  int64_t now_ms, store::Report& report, bool& placed, std::string& warning) const;
  void CountReject(std::string_view reason) const;

  const IngestOptions options_;
  ServiceRegistry& registry_;
  const geo::Gazetteer& gazetteer_;
  const geo::IpLocator* ip_locator_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  Counter& lines_total_;
  Counter& problem_kept_total_;
  Counter& problem_as_other_total_;
};

}  // namespace om::ingest
