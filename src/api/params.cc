#include "api/params.h"

#include <charconv>

#include "base/time.h"

namespace om::api {

std::string UnknownService(std::string_view id) {
  return "unknown service \"" + std::string(id.substr(0, 64)) + "\"";
}

Result<int64_t> ParseTimeParam(std::string_view name, std::string_view value) {
  int64_t ms;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec == std::errc() && p == value.data() + value.size()) return ms;
  if (auto t = ParseRfc3339(value)) return ToUnixMillis(*t);
  return Status::InvalidArgument(std::string(name) +
                                 ": must be RFC 3339 (2026-01-22T14:37:00Z) or epoch milliseconds");
}

Result<int64_t> ParseStepMinutes(std::string_view value) {
  if (value.empty()) return Status::InvalidArgument("step: empty");
  int64_t unit_seconds = 1;
  char last = value.back();
  if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
    unit_seconds = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : 86400;
    value.remove_suffix(1);
  }
  int64_t n;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || p != value.data() + value.size() || n <= 0 || n > 1000000) {
    return Status::InvalidArgument("step: must be a positive duration such as 60s, 5m or 1h");
  }
  int64_t seconds = n * unit_seconds;
  if (seconds % 60 != 0) return Status::InvalidArgument("step: must be a whole number of minutes");
  return seconds / 60;
}

Result<TimeRange> ParseRange(const HttpRequest& request, int64_t now_ms, int64_t default_span_ms) {
  TimeRange range{now_ms - default_span_ms, now_ms};
  std::string value;
  if (QueryParam(request.query, "to", value)) {
    OM_ASSIGN_OR_RETURN(range.to_ms, ParseTimeParam("to", value));
  }
  if (QueryParam(request.query, "from", value)) {
    OM_ASSIGN_OR_RETURN(range.from_ms, ParseTimeParam("from", value));
  } else {
    range.from_ms = range.to_ms - default_span_ms;
  }
  if (range.from_ms >= range.to_ms) return Status::InvalidArgument("from: must be before to");
  return range;
}

int64_t FloorMinute(int64_t ms) { return ms >= 0 ? ms / 60000 : -((-ms + 59999) / 60000); }

std::string FieldOr(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::string BaseUrl(const HttpRequest& request) {
  std::string_view host = request.Header("host");
  return "http://" + std::string(host.empty() ? "localhost" : host.substr(0, 256));
}

}  // namespace om::api
