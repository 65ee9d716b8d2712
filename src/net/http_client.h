#pragma once
// PostJson: one HTTP/1.1 POST of a JSON body, over TCP or TLS, for notifications (webhooks, Slack,
// Teams, Alertmanager). The second of the few translation units that compile Boost.Beast
// (the first is api/http_server.cc), behind this Boost-free header.
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

// POSTs `body` with `headers` and Content-Type: application/json; returns the HTTP status.
// https verifies the server's certificate against the system's trusted certificates (OpenSSL's
// default paths; SSL_CERT_FILE and SSL_CERT_DIR override them) and its name, with SNI.
// kUnavailable when the connection, the TLS handshake, the send or the answer fails or takes
// longer than `timeout`.
Result<int> PostJson(const HttpUrl& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout);

}  // namespace om::net
