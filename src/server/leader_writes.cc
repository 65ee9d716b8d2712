#include "server/leader_writes.h"

#include "api/response.h"

namespace om::server {
namespace {

constexpr char kForwardedName[] = "om_cluster_forwarded_writes_total";
constexpr char kForwardedHelp[] =
    "Operator writes this node handed to the leader, by whether the leader answered.";

// The 503 of a write no leader took, with the reason (ErrorResponse adds Retry-After).
api::HttpResponse NoLeader(const std::string& why) {
  return api::ErrorResponse(Status::Unavailable(why + "; operator writes go to the leader"));
}

}  // namespace

Result<std::unique_ptr<LeaderWrites>> LeaderWrites::Open(cluster::ReportStream& stream,
                                                         const cluster::ClusterRole& role,
                                                         const api::Router& router,
                                                         std::function<bool()> leads,
                                                         MetricsRegistry& metrics) {
  std::unique_ptr<LeaderWrites> writes(
      new LeaderWrites(role, router, std::move(leads), metrics, stream.options().node_id));
  LeaderWrites* w = writes.get();
  Result<std::unique_ptr<cluster::NodeRequests>> requests = cluster::NodeRequests::Open(
      stream, [w](const std::string& request, const cluster::NodeRequests::Reply& reply) {
        w->Answer(request, reply);
      });
  if (!requests.ok()) return requests.status();
  writes->requests_ = std::move(*requests);
  return writes;
}

LeaderWrites::LeaderWrites(const cluster::ClusterRole& role, const api::Router& router,
                           std::function<bool()> leads, MetricsRegistry& metrics,
                           std::string node_id)
    : role_(role),
      router_(router),
      leads_(std::move(leads)),
      node_id_(std::move(node_id)),
      forwarded_(metrics.GetCounter(kForwardedName, kForwardedHelp, "result=\"answered\"")),
      unanswered_(metrics.GetCounter(kForwardedName, kForwardedHelp, "result=\"unavailable\"")),
      answered_(metrics.GetCounter("om_cluster_leader_writes_answered_total",
                                   "Operator writes other nodes handed to this node, answered "
                                   "while it led.")) {}

void LeaderWrites::Forward(api::HttpRequest&& request, api::Responder respond) {
  const std::string leader = role_.leader_node();
  if (leader.empty() || leader == node_id_) {
    // Nobody holds the lease, or this node holds it and has not taken over yet.
    unanswered_.Add();
    return respond(NoLeader(leader.empty() ? "no node leads the cluster now"
                                           : "node " + node_id_ + " is taking the lead"));
  }
  requests_->Ask(leader, api::EncodeForwardedRequest(request),
                 [this, leader, respond = std::move(respond)](Result<std::string> answer) {
                   Result<api::HttpResponse> response =
                       answer.ok() ? api::DecodeForwardedResponse(*answer) : answer.status();
                   if (!response.ok()) {
                     unanswered_.Add();
                     return respond(NoLeader("the leader " + leader +
                                             " did not answer: " + response.status().message()));
                   }
                   forwarded_.Add();
                   respond(std::move(*response));
                 });
}

void LeaderWrites::Answer(const std::string& request,
                          const cluster::NodeRequests::Reply& reply) const {
  Result<api::HttpRequest> decoded = api::DecodeForwardedRequest(request);
  if (!decoded.ok()) {
    return reply(api::EncodeForwardedResponse(api::ErrorResponse(decoded.status())));
  }
  // The lead moved after the asker looked it up: the client retries and finds the new leader.
  if (!leads_()) {
    return reply(api::EncodeForwardedResponse(
        NoLeader("node " + node_id_ + " does not lead (any more, or yet)")));
  }
  answered_.Add();
  router_.HandleForwarded(std::move(*decoded), [reply](const api::HttpResponse& response) {
    reply(api::EncodeForwardedResponse(response));
  });
}

}  // namespace om::server
