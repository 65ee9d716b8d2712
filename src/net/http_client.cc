// Boost.Beast lives here and in api/http_server.cc only (each costs ~20 s to compile).
#include "net/http_client.h"

#include <functional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace om::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  HttpUrl out;
  std::string_view scheme;
  if (url.starts_with("https://")) {
    out.tls = true;
    scheme = "https://";
  } else if (url.starts_with("http://")) {
    scheme = "http://";
  } else {
    return Status::InvalidArgument("url: must start with http:// or https://");
  }
  std::string_view rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
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
    out.port = out.tls ? "443" : "80";
  }
  if (out.host.empty() || out.port.empty() ||
      out.port.find_first_not_of("0123456789") != std::string::npos || out.port.size() > 5) {
    return Status::InvalidArgument("url: bad host or port in \"" + std::string(authority) + "\"");
  }
  return out;
}

namespace {

// The exchange on a connected stream (plain or TLS): write the request, read the answer.
template <typename Stream>
void Exchange(Stream& stream, http::request<http::string_body>& req, beast::flat_buffer& buffer,
              http::response_parser<http::string_body>& parser,
              const std::function<void(std::string_view, beast::error_code)>& fail,
              bool& answered) {
  http::async_write(stream, req, [&](beast::error_code ec, size_t) {
    if (ec) return fail("send to", ec);
    http::async_read(stream, buffer, parser, [&](beast::error_code ec2, size_t) {
      if (ec2) return fail("answer from", ec2);
      answered = true;
    });
  });
}

}  // namespace

namespace {

Result<HttpAnswer> Request(http::verb method, const HttpUrl& url, const std::string& body,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           std::chrono::milliseconds timeout, size_t max_body) {
  // Asynchronous operations only: beast::tcp_stream's deadline applies to them, not to the
  // blocking calls, and a receiver that stalls must not stall the notifier.
  net::io_context io;
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.set_default_verify_paths();
  tls.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> secure(io, tls);
  beast::tcp_stream& tcp = beast::get_lowest_layer(secure);
  net::ip::tcp::resolver resolver(io);
  http::request<http::string_body> req{method, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "outagemap");
  if (method == http::verb::post) req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_body);
  Status failure = Status::Unavailable("no answer from " + url.host + ":" + url.port);
  bool answered = false;
  std::function<void(std::string_view, beast::error_code)> fail = [&](std::string_view step,
                                                                      beast::error_code ec) {
    failure = Status::Unavailable(std::string(step) + " " + url.host + ":" + url.port + ": " +
                                  (ec == beast::error::timeout ? "timed out" : ec.message()));
  };
  if (url.tls) {
    // SNI, and the certificate must name the host we asked for.
    // SSL_set_tlsext_host_name() spelled out: the macro's C-style cast trips -Wold-style-cast.
    if (!SSL_ctrl(secure.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(url.host.c_str()))) {
      return Status::Unavailable("TLS: cannot set the server name " + url.host);
    }
    secure.set_verify_callback(net::ssl::host_name_verification(url.host));
  }
  resolver.async_resolve(url.host, url.port, [&](beast::error_code ec, auto endpoints) {
    if (ec) return fail("resolve", ec);
    tcp.expires_after(timeout);
    tcp.async_connect(endpoints, [&](beast::error_code ec2, auto) {
      if (ec2) return fail("connect", ec2);
      if (!url.tls) return Exchange(tcp, req, buffer, parser, fail, answered);
      secure.async_handshake(net::ssl::stream_base::client, [&](beast::error_code ec3) {
        if (ec3) return fail("TLS handshake with", ec3);
        Exchange(secure, req, buffer, parser, fail, answered);
      });
    });
  });
  // The resolver has no deadline of its own: bound the whole exchange once more.
  io.run_for(timeout + std::chrono::seconds(1));
  beast::error_code ignored;
  tcp.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  if (!answered) return failure;
  HttpAnswer answer;
  answer.status = static_cast<int>(parser.get().result_int());
  answer.body = std::move(parser.get().body());
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    answer.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return answer;
}

}  // namespace

std::string_view HttpAnswer::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

Result<int> PostJson(const HttpUrl& url, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::chrono::milliseconds timeout) {
  // The answer's body is not used, only its status.
  OM_ASSIGN_OR_RETURN(HttpAnswer answer,
                      Request(http::verb::post, url, body, headers, timeout, size_t{64} * 1024));
  return answer.status;
}

Result<HttpAnswer> Fetch(const HttpUrl& url,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         std::chrono::milliseconds timeout, size_t max_body) {
  return Request(http::verb::get, url, "", headers, timeout, max_body);
}

}  // namespace om::net
