// Boost.Beast lives here and in api/http_server.cc only (each costs ~20 s to compile).
#include "alerts/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace om::alerts {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  if (url.starts_with("https://")) {
    return Status::InvalidArgument(
        "url: https is not supported yet; send to an http:// relay on the same host");
  }
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return Status::InvalidArgument("url: must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("url: needs a host (and no user:password@)");
  }
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
    out.port = "80";
  }
  if (out.host.empty() || out.port.empty() ||
      out.port.find_first_not_of("0123456789") != std::string::npos || out.port.size() > 5) {
    return Status::InvalidArgument("url: bad host or port in \"" + std::string(authority) + "\"");
  }
  return out;
}

Result<int> PostJson(const HttpUrl& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout) {
  // Asynchronous operations only: beast::tcp_stream's deadline applies to them, not to the
  // blocking calls, and a receiver that stalls must not stall the notifier.
  net::io_context io;
  beast::tcp_stream stream(io);
  net::ip::tcp::resolver resolver(io);
  http::request<http::string_body> req{http::verb::post, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "outagemap");
  req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);  // the answer's body is not used, only its status
  Status failure = Status::Unavailable("no answer from " + url.host + ":" + url.port);
  bool answered = false;
  auto fail = [&](std::string_view step, beast::error_code ec) {
    failure = Status::Unavailable(std::string(step) + " " + url.host + ":" + url.port + ": " +
                                  (ec == beast::error::timeout ? "timed out" : ec.message()));
  };
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, auto endpoints) {
    if (ec) return fail("resolve", ec);
    stream.expires_after(timeout);
    stream.async_connect(endpoints, [&](beast::error_code ec2, auto) {
      if (ec2) return fail("connect", ec2);
      http::async_write(stream, req, [&](beast::error_code ec3, size_t) {
        if (ec3) return fail("send to", ec3);
        http::async_read(stream, buffer, parser, [&](beast::error_code ec4, size_t) {
          if (ec4 && ec4 != http::error::body_limit) return fail("answer from", ec4);
          answered = true;
        });
      });
    });
  });
  // The resolver has no deadline of its own: bound the whole exchange once more.
  io.run_for(timeout + std::chrono::seconds(1));
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  if (!answered) return failure;
  return static_cast<int>(parser.get().result_int());
}

}  // namespace om::alerts
