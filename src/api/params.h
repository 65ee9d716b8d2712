#pragma once
// The query parameters and request fields that several resources read, parsed one way with one
// error text each: times, steps, ranges, JSON string fields, and the error that names an unknown
// service.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "api/http.h"
#include "base/status.h"

namespace om::api {

// "unknown service \"<id>\"" (the id cut at 64 bytes), for the errors that name a service.
std::string UnknownService(std::string_view id);

// A time parameter `name`: RFC 3339 or epoch milliseconds. kInvalidArgument naming `name`.
Result<int64_t> ParseTimeParam(std::string_view name, std::string_view value);

// A step: "90" (seconds), "1m", "15m", "1h", "1d", a positive whole number of minutes.
// kInvalidArgument naming "step".
Result<int64_t> ParseStepMinutes(std::string_view value);

struct TimeRange {
  int64_t from_ms = 0, to_ms = 0;
};
// The `from` and `to` parameters: `to` defaults to `now_ms`, `from` to `to - default_span_ms`.
// kInvalidArgument naming the parameter, or "from" when it is not before `to`.
Result<TimeRange> ParseRange(const HttpRequest& request, int64_t now_ms, int64_t default_span_ms);

// The minute that holds `ms` (floor, also before 1970).
int64_t FloorMinute(int64_t ms);

// A field of a parsed JSON object of strings, empty when absent.
std::string FieldOr(const std::map<std::string, std::string>& fields, const std::string& name);

// "http://<Host header>" (cut at 256 bytes), or "http://localhost" without one: the base of the
// absolute links in feeds and Statuspage documents.
std::string BaseUrl(const HttpRequest& request);

}  // namespace om::api
