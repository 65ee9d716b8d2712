#pragma once
// HTTP request and response values exchanged between the HTTP server and the API handlers, free
// of Boost types so that only http_server.cc compiles Boost.Beast.

#include <functional>
#include <memory>
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

// The server's end of a streamed response body (Server-Sent Events): what the producer pushes is
// written to the client in order. Thread-safe; the producer may push from any thread.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues `bytes` for the client. Returns false once the stream is closed: the client left, the
  // server is stopping, or the client fell more than the stream buffer limit behind (then the
  // server closes the connection rather than buffer without bound). The producer should then
  // drop the sink.
  virtual bool Send(std::string bytes) = 0;
  // Closes the stream after what was already sent.
  virtual void Close() = 0;
  virtual bool closed() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
  // When set, the response is a stream: the server sends the status line and headers with no
  // length (the body ends when the connection closes), then calls `on_stream` once, on the
  // connection's thread, with the sink for the body. `body` is ignored. The connection is exempt
  // from the idle timeout and stays open until the client leaves or the server stops.
  std::function<void(std::shared_ptr<StreamSink>)> on_stream;
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
