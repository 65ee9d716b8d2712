#pragma once
// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast + Asio, hidden behind this header. Each
// worker thread runs its own io_context and owns the connections it accepted, so a request is
// parsed, handled and answered on one thread without locks. Handlers may answer asynchronously
// (the ingest path answers from the store writer thread); the answer is posted back to the
// connection's thread.
//
// Limits: bodies over `max_body_bytes` get 413 and the connection closes; past
// `max_connections` new connections get 503 and close; idle connections close after
// `idle_timeout`; a request whose body (its Content-Length, or max_body_bytes when chunked) would
// take the bodies being read and handled past `max_inflight_body_bytes` gets 503 with
// Retry-After before its body is read, so that many clients sending large bodies at once cannot
// make the server hold connections x max_body_bytes (a request is never refused while no other
// body is in flight, whatever its size); and while even the quickest answers to requests with
// bodies take longer than `max_queue_delay`, new bodies past a limit get 503 with Retry-After
// before they are read (DelayAdmission, admission.h), so that past its capacity the server refuses
// the excess at once instead of answering everyone late.
//
// Thread-safety: Start/Stop from one thread. The handler runs on worker threads concurrently.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/http.h"
#include "base/metrics.h"
#include "base/option_key.h"
#include "base/status.h"

namespace om::api {

struct HttpServerOptions {
  // Address to listen on, "HOST:PORT"; port 0 picks a free port (see port()).
  std::string listen = "127.0.0.1:8080";
  // Worker threads (each an io_context). 0 means one per core.
  int threads = 0;
  // Largest accepted request body (bytes); larger gets 413.
  size_t max_body_bytes = 8u << 20;
  // Most open connections; more get 503.
  size_t max_connections = 10000;
  // Bytes of request bodies being read or handled at once, at most (see above).
  uint64_t max_inflight_body_bytes = 256u << 20;
  // A request with a body is refused with 503 before its body is read while the quickest
  // answers to bodies have taken longer than this (DelayAdmission, admission.h); 0 = never.
  std::chrono::milliseconds max_queue_delay{100};
  // A connection with no request for this long is closed.
  std::chrono::seconds idle_timeout{60};
  // Addresses of reverse proxies whose X-Forwarded-For is believed. For a request from one of
  // them, the client address is the rightmost X-Forwarded-For entry that is not itself a trusted
  // proxy; from anyone else the header is ignored (a client could write anything in it).
  std::vector<std::string> trusted_proxies;
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kHttpServerOptionKeys[] = {
    {"server.listen", OptionType::kString, "", 0, 0,
     "address to listen on, `HOST:PORT` (`--listen` overrides)"},
    {"server.threads", OptionType::kInt, "", 0, 256, "HTTP worker threads; 0 = one per core"},
    {"server.max_connections", OptionType::kInt, "", 1, 1000000,
     "open connections; past it new ones get 503"},
    {"server.max_inflight_body_mb", OptionType::kInt, "MiB", 1, 65536,
     "request bodies being read or handled at once; a request that would pass it gets 503 with "
     "`Retry-After` before its body is read"},
    {"server.max_queue_delay_ms", OptionType::kInt, "ms", 0, 600000,
     "while even the quickest answers to request bodies take longer than this, new bodies get 503 "
     "with `Retry-After` before they are read, past a limit that keeps the delay near half of it "
     "(docs/performance.md#overload-of-the-intake); 0 = off"},
    {"server.idle_timeout_seconds", OptionType::kInt, "s", 1, 86400,
     "an idle keep-alive connection is closed after this"},
    {"server.trusted_proxies", OptionType::kStringList, "", 0, 0,
     "IP addresses of reverse proxies whose `X-Forwarded-For` is believed; the client is then the "
     "rightmost address in it that is not a trusted proxy"},
};

class HttpServer {
 public:
  // Binds the listening socket. Errors: kInvalidArgument for a malformed address, kIoError when
  // the address cannot be bound (e.g. in use), naming it.
  static Result<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                    Handler handler, MetricsRegistry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts accepting on the worker threads.
  void Start();
  // Stops accepting, closes connections and joins the threads. Idempotent. noexcept because the
  // destructor calls it: a worker thread that cannot be joined ends the process.
  void Stop() noexcept;
  // The bound port (useful with port 0).
  uint16_t port() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace om::api
