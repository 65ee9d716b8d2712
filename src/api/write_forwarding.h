#pragma once
// Operator writes in cluster mode (docs/cluster.md, "Operator writes"): a node that does not lead
// the cluster hands every route marked `leader_write` (router.h) to the node that leads, so that
// one process orders them with the incidents it commits, as in embedded mode. The Router asks a
// WriteForwarder (server/ implements it over the cluster's node requests) whether to hand a
// request on, and the leader answers a handed-on request with Router::HandleForwarded.
//
// The request and its answer travel between nodes as bytes: EncodeForwardedRequest and
// EncodeForwardedResponse. Format (all integers u32 little endian, every string as its length
// then its bytes):
//   request:  "OMQ1" method path query content_type client_ip body  n  (name value) * n
//   response: "OMA1" status content_type body  n  (name value) * n
// A response with a stream (HttpResponse::on_stream) cannot travel; no leader_write route has one.

#include <string>
#include <string_view>

#include "api/http.h"
#include "base/status.h"

namespace om::api {

class WriteForwarder {
 public:
  virtual ~WriteForwarder() = default;
  // Whether this node hands leader writes on now (it does not lead); thread-safe.
  virtual bool ShouldForward() const = 0;
  // Hands `request` to the leader and answers `respond` exactly once, later and from any thread,
  // with the leader's answer, or 503 with Retry-After and the reason when no leader answered.
  // Must not block.
  virtual void Forward(HttpRequest&& request, Responder respond) = 0;
};

std::string EncodeForwardedRequest(const HttpRequest& request);
// kCorruption when `bytes` is not a whole request of the format above.
Result<HttpRequest> DecodeForwardedRequest(std::string_view bytes);
std::string EncodeForwardedResponse(const HttpResponse& response);
// kCorruption when `bytes` is not a whole response of the format above.
Result<HttpResponse> DecodeForwardedResponse(std::string_view bytes);

}  // namespace om::api
