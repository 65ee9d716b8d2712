#pragma once
// PostJson: one HTTP/1.1 POST of a JSON body, for notifications (webhooks, Slack- and
// Teams-compatible endpoints). The second of the few translation units that compile Boost.Beast
// (the first is api/http_server.cc), behind this Boost-free header.
//
// Thread-safety: a free function; each call uses its own connection.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace om::alerts {

struct HttpUrl {
  std::string host;
  std::string port;    // "80" when the URL names none
  std::string target;  // "/path?query", "/" when empty
};

// Parses "http://HOST[:PORT][/PATH]". kInvalidArgument naming the problem; https is refused
// until TLS is supported ("url: https is not supported yet").
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// POSTs `body` with `headers` and Content-Type: application/json; returns the HTTP status.
// kUnavailable when the connection, the send or the answer fails or takes longer than `timeout`.
Result<int> PostJson(const HttpUrl& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout);

}  // namespace om::alerts
