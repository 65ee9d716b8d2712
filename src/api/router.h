#pragma once
// Router answers HTTP requests from a table of routes, the way Prometheus' web/api/v1 registers
// every endpoint on one router through one wrapper. A route is {method, path pattern, key scope,
// handler}; the resource files (report_routes.h, service_routes.h, ...) register theirs, and
// server/ decides which resources a server has.
//
// The one wrapper, Handle():
//   - matches the path against the patterns, in registration order. No pattern matches: 404
//     not_found "no such endpoint: <path>". A pattern matches but not with this method: 405 with
//     `Allow` listing the methods that would. HEAD is answered as GET (the HTTP server drops the
//     body), so a GET route also takes HEAD.
//   - checks the API key the route asks for (auth/api_keys.h): 401 when keys are not enabled or
//     the key is missing or unknown, 403 when it lacks the scope. A route with `key_optional`
//     lets a request without an Authorization header through anonymously, but a key that is sent
//     must be valid: a wrong key is an error, never silently anonymous.
//   - calls the handler and turns an error Status into the error envelope and the HTTP status of
//     response.h (HttpStatusFor), with Retry-After on 429 and 503.
//
// Patterns are split at '/'. A segment is a literal, a parameter `{name}` (one segment,
// percent-decoded), a parameter with a literal suffix `{name}.svg`, or, last, `{name...}`, which
// takes the rest of the path as sent (not decoded; it may hold slashes).
//
// Thread-safety: register every route before the first Handle(); Handle() is then thread-safe
// (the table is read-only and handlers must be thread-safe themselves).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/http.h"
#include "api/write_forwarding.h"
#include "auth/api_keys.h"
#include "base/status.h"

namespace om::api {

// A request as a handler sees it: the request, the pattern's parameters and the caller's key.
struct RouteCall {
  HttpRequest request;
  // The parameters of the matched pattern, in pattern order.
  std::vector<std::pair<std::string, std::string>> params;
  // The authenticated key, when the route asks for one and one was sent.
  std::optional<auth::ApiKey> key;

  // The parameter `name` of the pattern; empty when the pattern has none of that name.
  std::string_view Param(std::string_view name) const;
};

// Answers now: a response, or an error Status that the wrapper turns into the error envelope.
using RouteHandler = std::function<Result<HttpResponse>(const RouteCall& call)>;
// Answers later (report intake answers from the store's writer thread): must call `respond`
// exactly once and must not block.
using AsyncRouteHandler = std::function<void(RouteCall&& call, Responder respond)>;

struct Route {
  std::string method;   // "GET" (also takes HEAD), "POST", "PUT" or "DELETE"
  std::string pattern;  // e.g. "/api/v1/services/{id}/series"
  // The auth::Scope bits the caller's key must have; 0: a public route, no key is asked for.
  uint32_t scope = 0;
  // With a scope: a request without an Authorization header passes anonymously (call.key is
  // empty), as report intake does (a key only lifts its limit per client).
  bool key_optional = false;
  // A public read that caches may keep (see Router): its 200 answers carry an ETag and
  // Cache-Control, and a request whose If-None-Match holds the ETag is answered 304 without a
  // body. Only for answers that depend on nothing but the URL (no cookie, no key).
  bool cacheable = false;
  // An operator write (incidents, subscriptions, maintenances, pages): in cluster mode a node
  // that does not lead hands it to the leader through the WriteForwarder
  // (write_forwarding.h), so that one process orders it with the incidents it commits.
  bool leader_write = false;
};

class Router {
 public:
  // `keys` is borrowed and may be null: routes with a scope then answer 401 "API keys are not
  // enabled". `read_max_age`: the max-age of cacheable routes' answers (0: no-cache).
  explicit Router(auth::ApiKeys* keys, std::chrono::seconds read_max_age = {})
      : keys_(keys), read_max_age_(read_max_age) {}
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  ~Router() = default;

  // Adds a route. REQUIRES: a well-formed pattern (starts with '/', `{name...}` only last); a
  // malformed one is a programming error and aborts.
  void Register(Route route, RouteHandler handler);
  void RegisterAsync(Route route, AsyncRouteHandler handler);

  // Cluster mode: where leader writes go while this node does not lead. Borrowed; set before
  // the first Handle(). Without one, every route is answered here.
  void SetWriteForwarder(WriteForwarder* forwarder) { forwarder_ = forwarder; }

  // Answers `request` through the wrapper described above. Calls `respond` exactly once. A
  // leader write, once authorized, goes to the WriteForwarder when it says so.
  void Handle(HttpRequest&& request, Responder respond) const;
  // Answers a request another node handed to this one (the leader) here, never handing it on,
  // so that two nodes that both think the other leads cannot pass a write back and forth.
  void HandleForwarded(HttpRequest&& request, Responder respond) const;

  // "GET /api/v1/services/{id}", ... in registration order: the table, for docs and tests.
  std::vector<std::string> Describe() const;

 private:
  struct Segment {
    std::string literal;  // the literal, or a parameter's literal suffix
    std::string name;     // the parameter's name; empty for a literal segment
    bool rest = false;    // {name...}: the rest of the path
  };
  struct Entry {
    Route route;
    std::vector<Segment> segments;
    AsyncRouteHandler handler;
  };

  // The ETag, Cache-Control and 304 of a cacheable route's answer (see above).
  static void MakeRevalidatable(const HttpRequest& request, std::chrono::seconds max_age,
                                HttpResponse& response);
  // Fills `params` and returns true when `path` matches `segments`.
  static bool Match(const std::vector<Segment>& segments, std::string_view path,
                    std::vector<std::pair<std::string, std::string>>& params);
  // The caller's key for `route`, nullopt when the route lets the caller through without one,
  // or the error that refuses the request.
  Result<std::optional<auth::ApiKey>> Authorize(const Route& route,
                                                const HttpRequest& request) const;
  void Dispatch(HttpRequest&& request, Responder respond, bool may_forward) const;

  auth::ApiKeys* const keys_;
  const std::chrono::seconds read_max_age_;
  WriteForwarder* forwarder_ = nullptr;
  std::vector<Entry> entries_;
};

}  // namespace om::api
