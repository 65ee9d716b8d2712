#pragma once
// SendMail: one e-mail over SMTP (RFC 5321), for the `email` notification channel. STARTTLS
// (RFC 3207) is required unless the subscription says tls=none (a relay on the same host); the
// server's certificate is verified like https (system trust store, host name, SNI). One of the
// few translation units that compile Asio, behind this Boost-free header.
//
// Thread-safety: a free function; each call uses its own connection.

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace om::net {

struct SmtpTarget {
  std::string host;
  std::string port;  // "25" when the URL names none
  std::string from;  // envelope and From: address
  std::string to;    // one recipient
  bool starttls = true;
};

// Parses "smtp://HOST[:PORT]?to=ADDR[&from=ADDR][&tls=starttls|none]" (`from` defaults to
// outagemap@HOST). kInvalidArgument naming the problem.
Result<SmtpTarget> ParseSmtpUrl(std::string_view url);

// Sends a text/plain UTF-8 message. kUnavailable naming the step and the server's answer when the
// connection, a command or the TLS handshake fails, or a step takes longer than `timeout`.
Status SendMail(const SmtpTarget& target, std::string_view subject, std::string_view body,
                std::chrono::milliseconds timeout, int64_t now_ms);

}  // namespace om::net
