// The only translation unit that compiles Boost.Beast and Asio (they cost ~20 s of compile each).
#include "api/http_server.h"

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/admission.h"
#include "api/response.h"
#include "base/log.h"

namespace om::api {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

std::string_view HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::string UrlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool QueryParam(std::string_view query, std::string_view key, std::string& value) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(pos, end - pos);
    size_t eq = part.find('=');
    std::string_view k = part.substr(0, eq);
    if (UrlDecode(k) == key) {
      value = eq == std::string_view::npos ? "" : UrlDecode(part.substr(eq + 1));
      return true;
    }
    pos = end + 1;
  }
  return false;
}

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, Handler handler, MetricsRegistry& metrics)
      : options_(options),
        handler_(std::move(handler)),
        requests_total_(metrics.GetCounter("om_http_requests_total", "HTTP requests parsed.")),
        refused_total_(metrics.GetCounter("om_http_connections_refused_total",
                                          "Connections refused with 503 (max_connections).")),
        busy_total_(metrics.GetCounter(
            "om_http_bodies_refused_total",
            "Requests refused with 503 before their body was read (max_inflight_body_bytes).")),
        delayed_total_(metrics.GetCounter(
            "om_http_bodies_refused_delay_total",
            "Requests refused with 503 before their body was read because the quickest answers "
            "to bodies took longer than server.max_queue_delay_ms.")),
        admission_({.target = options.max_queue_delay}) {
    int n = options.threads > 0
                ? options.threads
                : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    for (int i = 0; i < n; ++i) contexts_.push_back(std::make_unique<net::io_context>(1));
    acceptor_.emplace(*contexts_[0]);
    accept_pause_.emplace(*contexts_[0]);
    metrics.AddCallbackGauge("om_http_connections_open", "Open HTTP connections.",
                             [this] { return static_cast<double>(open_.load()); });
    metrics.AddCallbackGauge(
        "om_http_body_bytes_in_flight",
        "Bytes of request bodies being read or handled (their declared lengths).",
        [this] { return static_cast<double>(bodies_in_flight_.load()); });
    metrics.AddCallbackGauge(
        "om_http_admission_limit",
        "Request bodies admitted at once while a queue stands (+Inf: no limit; "
        "server.max_queue_delay_ms).",
        [this] {
          size_t limit = admission_.limit();
          return limit == std::numeric_limits<size_t>::max()
                     ? std::numeric_limits<double>::infinity()
                     : static_cast<double>(limit);
        });
    metrics.AddCallbackGauge(
        "om_http_body_min_sojourn_seconds",
        "The quickest time from a request's head to its answer, among requests with bodies "
        "answered in the last full interval of 100 ms (0 when none was).",
        [this] { return admission_.last_min_sojourn_ms() / 1000; });
  }

  Status Bind() {
    for (const std::string& proxy : options_.trusted_proxies) {
      beast::error_code ec;
      auto address = net::ip::make_address(proxy, ec);
      if (ec) {
        return Status::InvalidArgument("trusted_proxies: \"" + proxy + "\" is not an IP address");
      }
      trusted_.insert(address);
    }
    std::string host = options_.listen;
    std::string port = "8080";
    size_t colon = host.rfind(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument("listen: \"" + options_.listen + "\" is not HOST:PORT");
    }
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    beast::error_code ec;
    auto address = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
    if (ec) return Status::InvalidArgument("listen: bad address \"" + host + "\": " + ec.message());
    char* end = nullptr;
    unsigned long p = std::strtoul(port.c_str(), &end, 10);
    if (port.empty() || *end != 0 || p > 65535) {
      return Status::InvalidArgument("listen: bad port \"" + port + "\"");
    }
    tcp::endpoint endpoint(address, static_cast<uint16_t>(p));
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) return Status::IoError("listen on " + options_.listen + ": " + ec.message());
    port_ = acceptor_->local_endpoint().port();
    return Status::Ok();
  }

  void Start() {
    DoAccept();
    for (auto& ctx : contexts_) {
      threads_.emplace_back([&ctx] {
        auto guard = net::make_work_guard(*ctx);
        ctx->run();
      });
    }
  }

  // noexcept: it runs in destructors. Posting can fail only for want of memory and joining only
  // on a broken thread; neither leaves a server that could be stopped cleanly, so they abort.
  void Stop() noexcept {
    if (stopped_.exchange(true)) return;
    try {
      net::post(*contexts_[0], [this] {
        beast::error_code ec;
        acceptor_->close(ec);
        accept_pause_->cancel();
      });
      for (auto& ctx : contexts_) ctx->stop();
      for (auto& t : threads_) t.join();
      threads_.clear();
    } catch (...) {
      std::fputs("outagemap: fatal: the HTTP server could not stop its workers\n", stderr);
      std::abort();
    }
  }

  ~Impl() { Stop(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  uint16_t port() const { return port_; }

 private:
  class Session;

  void DoAccept() {
    net::io_context& target = *contexts_[next_context_++ % contexts_.size()];
    acceptor_->async_accept(target, [this, &target](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || stopped_) return;
        // Out of descriptors or memory the accept would fail again at once, and the loop would
        // spin (and log) instead of serving the connections it has: wait before the next one.
        // The connection stays in the listen backlog meanwhile. Other failures (a client gone
        // before it was accepted) concern one connection: the next is accepted at once.
        const bool out_of_resources =
            ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
            ec == net::error::no_memory || ec == boost::system::errc::too_many_files_open_in_system;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_accept_warning_ >= std::chrono::seconds(10)) {
          last_accept_warning_ = now;
          OM_LOG(kWarning) << "accept: " << ec.message() << " (" << open_.load()
                           << " connections open)"
                           << (out_of_resources ? "; accepting again in 100 ms" : "");
        }
        if (out_of_resources) {
          accept_pause_->expires_after(std::chrono::milliseconds(100));
          accept_pause_->async_wait([this](beast::error_code wait_ec) {
            if (!wait_ec && !stopped_) DoAccept();
          });
        } else {
          DoAccept();
        }
        return;
      }
      StartSession(std::move(socket), target);
      AcceptWaiting();
      if (!stopped_) DoAccept();
    });
  }

  // Connections accepted at once after an accept completes (AcceptWaiting).
  static constexpr int kMostAcceptsPerWake = 64;

  // Accepts the connections already waiting in the listen backlog, up to kMostAcceptsPerWake,
  // without returning to the event loop between them. One accept per trip through the loop would
  // let a loop busy with request bodies accept a few hundred connections a second while
  // thousands wait in the backlog; a flood is refused only as fast as it is accepted.
  void AcceptWaiting() {
    beast::error_code ec;
    acceptor_->non_blocking(true, ec);
    for (int i = 0; i < kMostAcceptsPerWake && !ec && !stopped_; ++i) {
      net::io_context& target = *contexts_[next_context_++ % contexts_.size()];
      tcp::socket socket(target);
      acceptor_->accept(socket, ec);
      if (!ec) StartSession(std::move(socket), target);
    }
  }

  // Takes `bytes` of the request-body budget; false when that would pass
  // max_inflight_body_bytes while other bodies are in flight.
  bool ReserveBody(uint64_t bytes) {
    uint64_t current = bodies_in_flight_.load();
    do {
      if (current > 0 && current + bytes > options_.max_inflight_body_bytes) return false;
    } while (!bodies_in_flight_.compare_exchange_weak(current, current + bytes));
    return true;
  }
  void ReleaseBody(uint64_t bytes) { bodies_in_flight_.fetch_sub(bytes); }

  // `context` is the worker's io_context the socket was accepted on; the session runs there.
  void StartSession(tcp::socket socket, net::io_context& context);

  // The client's address: the peer, or for a trusted proxy the rightmost untrusted address of
  // X-Forwarded-For (a list "client, proxy1, proxy2", each proxy appending its own peer).
  std::string ClientAddress(const net::ip::address& peer, const HttpRequest& request) const {
    if (trusted_.empty() || !trusted_.contains(peer)) return peer.to_string();
    std::string_view list = request.Header("x-forwarded-for");
    while (!list.empty()) {
      size_t comma = list.rfind(',');
      std::string_view item = comma == std::string_view::npos ? list : list.substr(comma + 1);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      beast::error_code ec;
      auto address = net::ip::make_address(std::string(item), ec);
      if (ec) break;  // garbage: fall back to the proxy itself
      if (!trusted_.contains(address)) return address.to_string();
    }
    return peer.to_string();
  }

  const HttpServerOptions options_;
  const Handler handler_;
  Counter& requests_total_;
  Counter& refused_total_;
  Counter& busy_total_;
  Counter& delayed_total_;
  DelayAdmission admission_;
  std::atomic<uint64_t> bodies_in_flight_{0};
  std::set<net::ip::address> trusted_;  // parsed options_.trusted_proxies
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::steady_timer> accept_pause_;  // after a failed accept; on contexts_[0]
  std::chrono::steady_clock::time_point last_accept_warning_{};  // on contexts_[0]
  std::vector<std::thread> threads_;
  size_t next_context_ = 0;
  std::atomic<size_t> open_{0};
  std::atomic<bool> stopped_{false};
  uint16_t port_ = 0;
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  // Posts go to the io_context itself rather than through the stream's type-erased executor:
  // cheaper, and clang's analyzer reports a false null dereference inside asio's any_executor.
  Session(tcp::socket socket, Impl& server, net::io_context& context)
      : stream_(std::move(socket)), server_(server), context_(context) {
    ++server_.open_;
  }
  ~Session() {
    if (stream_state_) stream_state_->closed.store(true);
    ReleaseBody();
    EndAdmission();
    --server_.open_;
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Run() { DoRead(); }

  void RefuseBusy() {
    RefuseBody("too many open connections (server.max_connections = " +
               std::to_string(server_.options_.max_connections) + ")");
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->body_limit(server_.options_.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(server_.options_.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // The head is read: the body is read only if the budget of bodies in flight has room for it.
  void OnHeader(beast::error_code header_ec) {
    if (header_ec) return OnRead(header_ec);
    const uint64_t limit = server_.options_.max_body_bytes;
    uint64_t need = 0;
    if (parser_->content_length()) {
      need = std::min<uint64_t>(*parser_->content_length(), limit);
    } else if (parser_->chunked()) {
      need = limit;  // unknown until read: its most
    }
    if (need > 0 && !server_.ReserveBody(need)) {
      server_.busy_total_.Add();
      return RefuseBody("too many request bodies in flight (server.max_inflight_body_mb = " +
                        std::to_string(server_.options_.max_inflight_body_bytes >> 20) + ")");
    }
    reserved_body_ = need;
    if (need > 0 && server_.options_.max_queue_delay.count() > 0) {
      const auto now = std::chrono::steady_clock::now();
      if (!server_.admission_.Admit(now)) {
        server_.delayed_total_.Add();
        ReleaseBody();
        return RefuseBody(
            "the server is answering requests later than server.max_queue_delay_ms = " +
            std::to_string(server_.options_.max_queue_delay.count()) + " ms");
      }
      admitted_at_ = now;
    }
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  // 503 with Retry-After for a request whose body will not be read, and the connection closes
  // (the unread body would otherwise be taken for the next request).
  void RefuseBody(const std::string& reason) {
    keep_alive_ = false;
    Write(ErrorResponse(503, "unavailable", reason + "; try again"));
  }

  // The admitted request is answered (or its connection ended): its sojourn is told.
  void EndAdmission() {
    if (!admitted_at_) return;
    server_.admission_.Answered(*admitted_at_, std::chrono::steady_clock::now());
    admitted_at_.reset();
  }

  void ReleaseBody() {
    if (reserved_body_ == 0) return;
    server_.ReleaseBody(reserved_body_);
    reserved_body_ = 0;
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return Close();
    }
    if (ec) {
      keep_alive_ = false;
      if (ec == http::error::body_limit) {
        return Write(ErrorResponse(413, "too_large",
                                   "request body is over the limit of " +
                                       std::to_string(server_.options_.max_body_bytes) + " bytes"));
      }
      if (ec == http::error::header_limit) {
        return Write(ErrorResponse(431, "too_large", "request headers over 16 KiB"));
      }
      return Write(ErrorResponse(400, "bad_request", "malformed HTTP request"));
    }
    server_.requests_total_.Add();
    auto req = parser_->release();
    keep_alive_ = req.keep_alive();
    head_request_ = req.method() == http::verb::head;
    HttpRequest request;
    request.method = std::string(req.method_string());
    std::string_view target = req.target();
    size_t q = target.find('?');
    request.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "content-type") {
        request.content_type = std::string(field.value());
      } else {
        request.headers.emplace_back(std::move(name), std::string(field.value()));
      }
    }
    request.body = std::move(req.body());
    beast::error_code ep_ec;
    auto ep = stream_.socket().remote_endpoint(ep_ec);
    if (!ep_ec) request.client_ip = server_.ClientAddress(ep.address(), request);
    server_.handler_(std::move(request), [self = shared_from_this()](HttpResponse response) {
      // Handlers may answer from another thread: hop back onto the connection's thread.
      net::post(self->context_, [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  void Write(HttpResponse r) {
    ReleaseBody();  // the request is answered: its body is gone
    EndAdmission();
    if (r.on_stream) return StartStream(std::move(r));
    response_ = {};
    response_.version(11);
    response_.result(static_cast<http::status>(r.status));
    response_.set(http::field::server, "outagemap");
    response_.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) response_.set(k, v);
    size_t body_bytes = r.body.size();
    response_.body() = std::move(r.body);
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
    // HEAD: the headers of the GET answer, Content-Length included, and no body (RFC 9110 §9.3.2).
    if (head_request_) {
      response_.body().clear();
      response_.content_length(body_bytes);
    }
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (!self->keep_alive_) return self->DrainAndClose();
                        self->DoRead();
                      });
  }

  // After an early answer (413 or 503 while the client is still sending), closing at once would
  // make the kernel reset the connection and the client could lose the answer. Stop sending,
  // then discard what the client still sends, for at most 2 s in all.
  void DrainAndClose() {
    Close();
    stream_.expires_after(std::chrono::seconds(2));
    DiscardClientBytes();
  }

  // A wake-up discards at most this many times sizeof drain_ before the other connections of
  // the worker get their turn.
  static constexpr int kMostDiscardsPerWake = 64;

  // Waits for the client's bytes (reading one), then discards all that have arrived without
  // copying them: on a TCP socket MSG_TRUNC drops them in the kernel (tcp(7)). Copying them was
  // the largest part of what refusing a 100 KB batch cost under a flood of them.
  void DiscardClientBytes() {
    stream_.async_read_some(
        net::buffer(drain_, 1), [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return;  // the client closed, reset, or the 2 s passed: the session ends
          const int fd = self->stream_.socket().native_handle();
          for (int i = 0; i < kMostDiscardsPerWake; ++i) {
            // The buffer is not written with MSG_TRUNC; it is passed so that the sanitizers'
            // interceptors, which take the answer for bytes written, see memory that is ours.
            ssize_t n = ::recv(fd, self->drain_, sizeof self->drain_, MSG_TRUNC | MSG_DONTWAIT);
            if (n == 0) return;  // the client closed
            if (n < 0) {
              if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
              return;
            }
          }
          self->DiscardClientBytes();
        });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // --- Streamed responses (Server-Sent Events) ---

  // Bytes a stream may have queued but not yet written before the server gives up on the client.
  static constexpr size_t kMaxStreamBacklog = 1 << 20;

  // Shared by the session and its sink, which may outlive it.
  struct StreamState {
    std::atomic<bool> closed{false};
    std::atomic<size_t> backlog{0};
  };

  class Sink : public StreamSink {
   public:
    Sink(std::weak_ptr<Session> session, net::io_context& context,
         std::shared_ptr<StreamState> state)
        : session_(std::move(session)), context_(context), state_(std::move(state)) {}

    bool Send(std::string bytes) override {
      if (state_->closed.load()) return false;
      size_t n = bytes.size();
      if (state_->backlog.fetch_add(n) + n > kMaxStreamBacklog) {
        state_->closed.store(true);
        net::post(context_, [session = session_] {
          if (auto s = session.lock()) s->EndStream();
        });
        return false;
      }
      net::post(context_, [session = session_, bytes = std::move(bytes)]() mutable {
        if (auto s = session.lock()) s->QueueStreamBytes(std::move(bytes));
      });
      return true;
    }
    void Close() override {
      // Queued bytes go first: the close is posted behind them.
      net::post(context_, [session = session_] {
        if (auto s = session.lock()) s->EndStreamAfterWrites();
      });
    }
    bool closed() const override { return state_->closed.load(); }

   private:
    const std::weak_ptr<Session> session_;
    net::io_context& context_;
    const std::shared_ptr<StreamState> state_;
  };

  // Sends the head with no length and `Connection: close` (the body ends when the connection
  // does), then hands the sink to the producer. A read stays pending for the whole stream: the
  // client sends nothing more, so its completion means the client left.
  void StartStream(HttpResponse r) {
    stream_head_.version(11);
    stream_head_.result(static_cast<http::status>(r.status));
    stream_head_.set(http::field::server, "outagemap");
    stream_head_.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) stream_head_.set(k, v);
    stream_head_.keep_alive(false);
    auto on_stream = std::move(r.on_stream);
    http::async_write(stream_, stream_head_,
                      [self = shared_from_this(), on_stream = std::move(on_stream)](
                          beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->stream_.expires_never();
                        self->stream_state_ = std::make_shared<StreamState>();
                        self->WatchStreamClient();
                        on_stream(std::make_shared<Sink>(self->weak_from_this(), self->context_,
                                                         self->stream_state_));
                      });
  }

  void WatchStreamClient() {
    stream_.async_read_some(net::buffer(drain_, sizeof drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->EndStream();
                              self->WatchStreamClient();
                            });
  }

  void QueueStreamBytes(std::string bytes) {
    if (stream_state_->closed.load()) return;
    stream_out_.push_back(std::move(bytes));
    if (stream_out_.size() == 1) WriteStreamFront();
  }

  void WriteStreamFront() {
    net::async_write(stream_.socket(), net::buffer(stream_out_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->stream_state_->backlog.fetch_sub(self->stream_out_.front().size());
                       self->stream_out_.pop_front();
                       if (ec) return self->EndStream();
                       if (!self->stream_out_.empty()) return self->WriteStreamFront();
                       if (self->end_after_writes_) self->EndStream();
                     });
  }

  void EndStreamAfterWrites() {
    if (stream_out_.empty()) return EndStream();
    end_after_writes_ = true;
  }

  // Closes the connection; pending operations complete with errors and release the session.
  void EndStream() {
    stream_state_->closed.store(true);
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  Impl& server_;
  net::io_context& context_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  http::response<http::empty_body> stream_head_;
  std::shared_ptr<StreamState> stream_state_;  // set once a stream has started
  std::deque<std::string> stream_out_;         // queued stream bytes; front() is being written
  bool end_after_writes_ = false;              // Close() asked while bytes were queued
  bool keep_alive_ = true;
  bool head_request_ = false;
  uint64_t reserved_body_ = 0;  // of the body budget, for the request being read or handled
  // When the request being read or handled was admitted (DelayAdmission), if it has a body.
  std::optional<std::chrono::steady_clock::time_point> admitted_at_;
  char drain_[16384];
};

void HttpServer::Impl::StartSession(tcp::socket socket, net::io_context& context) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  auto session = std::make_shared<Session>(std::move(socket), *this, context);
  bool refuse = open_.load() > options_.max_connections;
  if (refuse) refused_total_.Add();
  // The socket belongs to another worker's io_context: start its operations on that thread.
  net::post(context, [session, refuse] {
    if (refuse) {
      session->RefuseBusy();
    } else {
      session->Run();
    }
  });
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                       Handler handler, MetricsRegistry& metrics) {
  auto impl = std::make_unique<Impl>(options, std::move(handler), metrics);
  OM_RETURN_IF_ERROR(impl->Bind());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Stop(); }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::Stop() noexcept {
  if (impl_) impl_->Stop();
}
uint16_t HttpServer::port() const { return impl_->port(); }

}  // namespace om::api
