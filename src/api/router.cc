#include "api/router.h"

#include <algorithm>
#include <cstring>

#include "api/response.h"
#include "base/check.h"
#include "base/hash.h"
#include "base/hex.h"
#include "web/assets.h"

namespace om::api {

std::string_view RouteCall::Param(std::string_view name) const {
  for (const auto& [param_name, param_value] : params) {
    if (param_name == name) return param_value;
  }
  return {};
}

namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  path.remove_prefix(1);  // the leading '/'
  while (true) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool MethodMatches(std::string_view route_method, std::string_view method) {
  return route_method == method || (route_method == "GET" && method == "HEAD");
}

}  // namespace

void Router::Register(Route route, RouteHandler handler) {
  const std::optional<std::chrono::seconds> max_age =
      route.cacheable ? std::optional(read_max_age_) : std::nullopt;
  RegisterAsync(std::move(route), [handler = std::move(handler), max_age](
                                      RouteCall&& call, const Responder& respond) {
    Result<HttpResponse> answer = handler(call);
    if (!answer.ok()) return respond(ErrorResponse(answer.status()));
    if (max_age) MakeRevalidatable(call.request, *max_age, *answer);
    respond(std::move(*answer));
  });
}

void Router::MakeRevalidatable(const HttpRequest& request, std::chrono::seconds max_age,
                               HttpResponse& response) {
  if (response.status != 200 || response.on_stream) return;
  uint64_t digest = Fnv1a64(response.body);
  std::string digest_bytes(sizeof digest, '\0');
  std::memcpy(digest_bytes.data(), &digest, sizeof digest);
  const std::string etag = "\"" + HexEncode(digest_bytes) + "\"";
  response.headers.emplace_back("ETag", etag);
  const bool has_cache_control =
      std::any_of(response.headers.begin(), response.headers.end(),
                  [](const auto& header) { return header.first == "Cache-Control"; });
  if (!has_cache_control) {
    response.headers.emplace_back(
        "Cache-Control", max_age.count() > 0 ? "public, max-age=" + std::to_string(max_age.count())
                                             : std::string("no-cache"));
  }
  if (web::EtagMatches(request.Header("if-none-match"), etag)) {
    response.status = 304;
    response.body.clear();
  }
}

void Router::RegisterAsync(Route route, AsyncRouteHandler handler) {
  OM_CHECK(route.pattern.starts_with("/"));
  Entry entry;
  std::vector<std::string_view> parts = SplitPath(route.pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    Segment segment;
    if (part.starts_with("{")) {
      size_t close = part.find('}');
      OM_CHECK(close != std::string_view::npos && close > 1);
      std::string_view name = part.substr(1, close - 1);
      if (name.ends_with("...")) {
        OM_CHECK(i + 1 == parts.size() && close + 1 == part.size());
        name.remove_suffix(3);
        segment.rest = true;
      }
      segment.name = std::string(name);
      segment.literal = std::string(part.substr(close + 1));
    } else {
      segment.literal = std::string(part);
    }
    entry.segments.push_back(std::move(segment));
  }
  entry.route = std::move(route);
  entry.handler = std::move(handler);
  entries_.push_back(std::move(entry));
}

bool Router::Match(const std::vector<Segment>& segments, std::string_view path,
                   std::vector<std::pair<std::string, std::string>>& params) {
  params.clear();
  if (!path.starts_with("/")) return false;
  std::string_view rest = path.substr(1);
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& segment = segments[i];
    if (segment.rest) {
      params.emplace_back(segment.name, std::string(rest));
      return true;
    }
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    bool last = i + 1 == segments.size();
    // A path with more segments than the pattern, or fewer, does not match.
    if (last != (slash == std::string_view::npos)) return false;
    if (segment.name.empty()) {
      if (part != segment.literal) return false;
    } else {
      if (part.size() <= segment.literal.size() || !part.ends_with(segment.literal)) return false;
      part.remove_suffix(segment.literal.size());
      params.emplace_back(segment.name, UrlDecode(part));
    }
    if (!last) rest.remove_prefix(slash + 1);
  }
  return true;
}

Result<std::optional<auth::ApiKey>> Router::Authorize(const Route& route,
                                                      const HttpRequest& request) const {
  if (route.scope == 0) return std::optional<auth::ApiKey>();
  std::string_view authorization = request.Header("authorization");
  if (route.key_optional && authorization.empty()) return std::optional<auth::ApiKey>();
  if (!keys_) return Status::Unauthenticated("API keys are not enabled");
  OM_ASSIGN_OR_RETURN(auth::ApiKey key, keys_->Authenticate(authorization, route.scope));
  return std::optional<auth::ApiKey>(std::move(key));
}

void Router::Handle(HttpRequest&& request, Responder respond) const {
  Dispatch(std::move(request), std::move(respond), /*may_forward=*/true);
}

void Router::HandleForwarded(HttpRequest&& request, Responder respond) const {
  Dispatch(std::move(request), std::move(respond), /*may_forward=*/false);
}

void Router::Dispatch(HttpRequest&& request, Responder respond, bool may_forward) const {
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> allowed;
  for (const Entry& entry : entries_) {
    if (!Match(entry.segments, request.path, params)) continue;
    if (!MethodMatches(entry.route.method, request.method)) {
      allowed.push_back(entry.route.method);
      if (entry.route.method == "GET") allowed.emplace_back("HEAD");
      continue;
    }
    Result<std::optional<auth::ApiKey>> key = Authorize(entry.route, request);
    if (!key.ok()) return respond(ErrorResponse(key.status()));
    // Authorized here first, so that a follower hands on only what a valid key sent; the
    // leader checks the key again (keys are the same on every node: the journal carries them).
    if (may_forward && entry.route.leader_write && forwarder_ != nullptr &&
        forwarder_->ShouldForward()) {
      return forwarder_->Forward(std::move(request), std::move(respond));
    }
    RouteCall call{std::move(request), std::move(params), std::move(*key)};
    return entry.handler(std::move(call), std::move(respond));
  }
  if (allowed.empty()) {
    return respond(ErrorResponse(Status::NotFound("no such endpoint: " + request.path)));
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  std::string allow;
  for (const auto& method : allowed) allow.append(allow.empty() ? "" : ", ").append(method);
  respond(MethodNotAllowed(request, allow));
}

std::vector<std::string> Router::Describe() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& entry : entries_) {
    std::string line = entry.route.method + " " + entry.route.pattern;
    if (entry.route.scope != 0) {
      line += " [" + auth::ScopeNames(entry.route.scope) +
              (entry.route.key_optional ? ", optional]" : "]");
    }
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace om::api
