#include "api/response.h"

#include <charconv>

#include "base/json_writer.h"

namespace om::api {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIoError:
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kTooLarge:
      return 413;
  }
  return 500;
}

HttpResponse ErrorResponse(int http_status, std::string_view error_type, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("status").String("error").Key("errorType").String(error_type);
  w.Key("error").String(message).EndObject();
  HttpResponse r;
  r.status = http_status;
  r.body = std::move(w).Take();
  if (http_status == 429 || http_status == 503) r.headers.emplace_back("Retry-After", "1");
  // RFC 9110 §11.6.1: a 401 names the scheme it wants.
  if (http_status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

HttpResponse MethodNotAllowed(const HttpRequest& request, std::string_view allow) {
  HttpResponse r =
      ErrorResponse(405, "method_not_allowed", request.method + " not allowed on " + request.path);
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

HttpResponse RateLimited(int retry_after_seconds, std::string_view reason) {
  std::string seconds = std::to_string(retry_after_seconds);
  HttpResponse r = ErrorResponse(429, "resource_exhausted",
                                 std::string(reason) + "; try again in " + seconds + " s");
  for (auto& [name, value] : r.headers) {
    if (name == "Retry-After") value = seconds;
  }
  return r;
}

HttpResponse ErrorResponse(const Status& status) {
  return ErrorResponse(HttpStatusFor(status.code()), StatusCodeName(status.code()),
                       status.message());
}

Result<size_t> ParseLimit(std::string_view query, size_t fallback, size_t max) {
  std::string value;
  if (!QueryParam(query, "limit", value)) return fallback;
  size_t limit = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), limit);
  if (ec != std::errc() || p != value.data() + value.size() || limit == 0 || limit > max) {
    return Status::InvalidArgument("limit: must be between 1 and " + std::to_string(max));
  }
  return limit;
}

HttpResponse DataResponse(std::string_view data_json) {
  HttpResponse r;
  r.body.reserve(data_json.size() + 32);
  r.body = "{\"status\":\"success\",\"data\":";
  r.body += data_json;
  r.body += "}";
  return r;
}

}  // namespace om::api
