// Asio (and its TLS) for SMTP: the third translation unit of the project that compiles Asio.
#include "net/smtp_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <ctime>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <openssl/evp.h>

namespace om::net {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// "%XX" decoding for query values ('+' stays '+': addresses may hold it).
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool PlausibleAddress(std::string_view a) {
  size_t at = a.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < a.size() && a.size() <= 254 &&
         a.find_first_of(" <>\r\n,;\"") == std::string_view::npos;
}

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// RFC 5322 date in UTC: "Thu, 22 Jan 2026 14:37:00 +0000".
std::string MailDate(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

// The body with CRLF line ends and leading dots doubled (RFC 5321 §4.5.2).
std::string DataBlock(std::string_view body) {
  std::string out;
  bool line_start = true;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\r') continue;
    if (line_start && c == '.') out.push_back('.');
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    out.push_back(c);
    line_start = false;
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// Reads one (possibly multi-line) reply; returns its code and its last line.
template <typename Stream>
Result<std::pair<int, std::string>> Reply(Stream& stream, net::streambuf& buf) {
  for (int lines = 0; lines < 100; ++lines) {
    boost::system::error_code ec;
    net::read_until(stream, buf, "\r\n", ec);
    if (ec) return Status::Unavailable("reading the server's reply: " + ec.message());
    std::istream in(&buf);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() < 3) return Status::Unavailable("malformed reply \"" + line + "\"");
    if (line.size() == 3 || line[3] == ' ') return std::make_pair(std::atoi(line.c_str()), line);
  }
  return Status::Unavailable("reply longer than 100 lines");
}

template <typename Stream>
Result<std::string> Command(Stream& stream, net::streambuf& buf, const std::string& command,
                            int expected) {
  boost::system::error_code ec;
  net::write(stream, net::buffer(command), ec);
  if (ec) {
    return Status::Unavailable("sending " + command.substr(0, command.find(' ')) + ": " +
                               ec.message());
  }
  OM_ASSIGN_OR_RETURN(auto reply, Reply(stream, buf));
  if (reply.first != expected) {
    std::string verb = command.substr(0, command.find_first_of(" \r"));
    return Status::Unavailable(verb + ": the server answered \"" + reply.second + "\"");
  }
  return reply.second;
}

template <typename Stream>
Status Transaction(Stream& stream, net::streambuf& buf, const SmtpTarget& t,
                   const std::string& message) {
  OM_RETURN_IF_ERROR(Command(stream, buf, "MAIL FROM:<" + t.from + ">\r\n", 250).status());
  OM_RETURN_IF_ERROR(Command(stream, buf, "RCPT TO:<" + t.to + ">\r\n", 250).status());
  OM_RETURN_IF_ERROR(Command(stream, buf, "DATA\r\n", 354).status());
  OM_RETURN_IF_ERROR(Command(stream, buf, message + ".\r\n", 250).status());
  (void)Command(stream, buf, "QUIT\r\n", 221);  // the message is accepted either way
  return Status::Ok();
}

}  // namespace

Result<SmtpTarget> ParseSmtpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "smtp://";
  if (!url.starts_with(kScheme)) return Status::InvalidArgument("url: must start with smtp://");
  std::string_view rest = url.substr(kScheme.size());
  size_t q = rest.find('?');
  std::string_view authority = rest.substr(0, std::min(q, rest.find('/')));
  SmtpTarget t;
  size_t colon = authority.rfind(':');
  t.host = std::string(authority.substr(0, colon));
  t.port = colon == std::string_view::npos ? "25" : std::string(authority.substr(colon + 1));
  if (t.host.empty() || t.port.empty() ||
      t.port.find_first_not_of("0123456789") != std::string::npos || t.port.size() > 5) {
    return Status::InvalidArgument("url: bad host or port in \"" + std::string(authority) + "\"");
  }
  std::string_view query = q == std::string_view::npos ? "" : rest.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    if (key == "to") {
      t.to = value;
    } else if (key == "from") {
      t.from = value;
    } else if (key == "tls") {
      if (value != "starttls" && value != "none") {
        return Status::InvalidArgument("url: tls must be starttls or none");
      }
      t.starttls = value == "starttls";
    } else {
      return Status::InvalidArgument("url: unknown parameter \"" + std::string(key.substr(0, 32)) +
                                     "\"");
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  if (t.from.empty()) t.from = "outagemap@" + t.host;
  if (!PlausibleAddress(t.to)) {
    return Status::InvalidArgument("url: to= must be one e-mail address");
  }
  if (!PlausibleAddress(t.from)) {
    return Status::InvalidArgument("url: from= must be an e-mail address");
  }
  return t;
}

Status SendMail(const SmtpTarget& t, std::string_view subject, std::string_view body,
                std::chrono::milliseconds timeout, int64_t now_ms) {
  net::io_context io;
  tcp::socket socket(io);
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(t.host, t.port, ec);
  if (ec) return Status::Unavailable("resolve " + t.host + ": " + ec.message());
  // Connect with a deadline (asynchronously), then talk with blocking calls bounded by the
  // socket's own send and receive timeouts.
  bool connected = false;
  net::async_connect(socket, endpoints, [&](boost::system::error_code e, const tcp::endpoint&) {
    ec = e;
    connected = !e;
  });
  io.run_for(timeout);
  if (!connected) {
    return Status::Unavailable("connect " + t.host + ":" + t.port + ": " +
                               (ec ? ec.message() : std::string("timed out")));
  }
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

  std::string message =
      "From: outagemap <" + t.from + ">\r\nTo: <" + t.to + ">\r\n" + "Subject: =?utf-8?B?" +
      Base64(subject) + "?=\r\n" + "Date: " + MailDate(now_ms) + "\r\n" + "Message-ID: <" +
      std::to_string(now_ms) + "." + std::to_string(::getpid()) + "@outagemap>\r\n" +
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\n" +
      DataBlock(body);
  net::streambuf buf;
  auto fail = [&](const Status& s) { return s.WithPrefix("smtp " + t.host + ":" + t.port); };
  Result<std::pair<int, std::string>> greeting = Reply(socket, buf);
  if (!greeting.ok()) return fail(greeting.status());
  if (greeting->first != 220) {
    return fail(Status::Unavailable("greeting \"" + greeting->second + "\""));
  }
  Result<std::string> ehlo = Command(socket, buf, "EHLO outagemap\r\n", 250);
  if (!ehlo.ok()) return fail(ehlo.status());
  if (!t.starttls) {
    Status s = Transaction(socket, buf, t, message);
    return s.ok() ? s : fail(s);
  }
  Result<std::string> starttls = Command(socket, buf, "STARTTLS\r\n", 220);
  if (!starttls.ok()) return fail(starttls.status().WithPrefix("STARTTLS required"));
  net::ssl::context context(net::ssl::context::tls_client);
  context.set_default_verify_paths();
  context.set_verify_mode(net::ssl::verify_peer);
  net::ssl::stream<tcp::socket&> tls(socket, context);
  // SSL_set_tlsext_host_name() spelled out: the macro's C-style cast trips -Wold-style-cast.
  SSL_ctrl(tls.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(t.host.c_str()));
  tls.set_verify_callback(net::ssl::host_name_verification(t.host));
  tls.handshake(net::ssl::stream_base::client, ec);
  if (ec) return fail(Status::Unavailable("TLS handshake: " + ec.message()));
  net::streambuf secure_buf;  // nothing read before the handshake may be trusted
  Result<std::string> ehlo2 = Command(tls, secure_buf, "EHLO outagemap\r\n", 250);
  if (!ehlo2.ok()) return fail(ehlo2.status());
  Status s = Transaction(tls, secure_buf, t, message);
  return s.ok() ? s : fail(s);
}

}  // namespace om::net
