#pragma once
// PostJson and Fetch: one HTTP/1.1 POST of a JSON body or one GET, over TCP or TLS, for
// notifications (webhooks, Slack, Teams, Alertmanager) and official status pages. One of the few
// translation units that compile Boost.Beast (with api/http_server.cc and smtp_client.cc), behind
// this Boost-free header.
//
// Thread-safety: a free function; each call uses its own connection.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace om::net {

struct HttpUrl {
  bool tls = false;  // https
  std::string host;
  std::string port;    // "80" (http) or "443" (https) when the URL names none
  std::string target;  // "/path?query", "/" when empty
};

// Parses "http[s]://HOST[:PORT][/PATH]". kInvalidArgument naming the problem.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// An answer: its status, lower-cased header names, and the body.
struct HttpAnswer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string_view Header(std::string_view lower_case_name) const;  // empty when absent
};

// GETs `url` with `headers` (e.g. If-None-Match). kUnavailable as for PostJson, and when the body
// is larger than `max_body` bytes.
Result<HttpAnswer> Fetch(const HttpUrl& url,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::chrono::milliseconds timeout, size_t max_body);

// POSTs `body` with `headers` and Content-Type: application/json; returns the HTTP status.
// https verifies the server's certificate against the system's trusted certificates (OpenSSL's
// default paths; SSL_CERT_FILE and SSL_CERT_DIR override them) and its name, with SNI.
// kUnavailable when the connection, the TLS handshake, the send or the answer fails or takes
// longer than `timeout`.
Result<int> PostJson(const HttpUrl& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout);

}  // namespace om::net
