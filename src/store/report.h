#pragma once
// Report is one accepted problem report as the store keeps it: normalised by ingest (canonical
// service id, placed city), self-contained so that the log can be replayed without the catalog or
// the gazetteer. EncodeReport/DecodeReport define the record payload of the report log
// (docs/formats/report-log.md).

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace om::store {

enum class Source : uint8_t { kApi = 0, kWeb = 1, kApp = 2, kSocial = 3, kProbe = 4 };
std::string_view SourceName(Source s);
// Returns false when `name` is not one of web|app|api|social|probe.
bool ParseSource(std::string_view name, Source& out);

struct Report {
  int64_t ts_ms = 0;            // event time, Unix milliseconds
  int64_t received_ms = 0;      // server time when accepted
  std::string service;          // canonical catalog id
  std::string problem;          // problem slug, "other" by default
  uint64_t reporter_key = 0;    // 64-bit hash of the reporter id or client IP (never the raw value)
  uint32_t geonameid = 0;       // placed city, 0 when the report could not be placed
  std::string region;           // "US-MN" for a placed report, else empty
  std::string country;          // ISO 3166-1 alpha-2 of the placed city, else as given, else empty
  double lat = NAN, lon = NAN;  // as given by the reporter, NaN when absent
  std::string city;             // city name as given by the reporter, may be empty
  std::string text;             // free text, at most kMaxTextBytes
  Source source = Source::kApi;
  bool duplicate = false;  // same reporter, service and de-duplication window: stored, not counted

  bool operator==(const Report& o) const;
};

inline constexpr size_t kMaxTextBytes = 1024;
inline constexpr size_t kMaxStringBytes = 256;  // service, problem, region, country, city

// Appends the record payload of `r` to `out`.
void EncodeReport(const Report& r, std::string& out);
// Decodes one payload. kCorruption when the bytes are not a valid payload (never crashes).
Result<Report> DecodeReport(std::string_view payload);

}  // namespace om::store
