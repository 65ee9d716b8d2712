#pragma once
// HTTP request and response values exchanged between the HTTP server and the API handlers, free
// of Boost types so that only http_server.cc compiles Boost.Beast.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace om::api {

struct HttpRequest {
  std::string method;        // "GET", "POST", ...
  std::string path;          // target up to '?', not decoded
  std::string query;         // after '?', may be empty
  std::string content_type;  // Content-Type header, may be empty
  std::string body;
  std::string client_ip;  // peer address (X-Forwarded-For is not trusted)
  std::vector<std::pair<std::string, std::string>> headers;  // the rest, names lower-cased

  // Value of header `name` (lower-case), empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
};

// Completes a request. May be called from any thread, exactly once.
using Responder = std::function<void(HttpResponse)>;
// A handler answers now or later by calling `respond`; it must not block.
using Handler = std::function<void(HttpRequest&& request, Responder respond)>;

// Percent-decodes a query component ('+' is a space). Invalid escapes are kept literally.
std::string UrlDecode(std::string_view s);
// Value of `key` in a query string "a=1&b=2", decoded; nullopt-like empty + found=false.
bool QueryParam(std::string_view query, std::string_view key, std::string& value);

}  // namespace om::api
