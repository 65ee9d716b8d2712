#pragma once
// LeaderWrites: cluster mode's WriteForwarder (api/write_forwarding.h). While this node has not
// taken the lead, an operator write (a route marked leader_write) goes to the node the leader
// lease names, as a node request (cluster/node_requests.h), and the client gets that node's
// answer. A node that leads answers the writes handed to it with Router::HandleForwarded; one
// that does not (any more) answers 503, and so does a follower when no node leads or the leader
// does not answer in time: the client retries, as after a lost connection (docs/cluster.md,
// "Operator writes").
//
// Thread-safety: Forward and the answering run on any thread.

#include <functional>
#include <memory>
#include <string>

#include "api/router.h"
#include "api/write_forwarding.h"
#include "base/metrics.h"
#include "base/status.h"
#include "cluster/cluster_role.h"
#include "cluster/node_requests.h"
#include "cluster/report_stream.h"

namespace om::server {

class LeaderWrites final : public api::WriteForwarder {
 public:
  // Starts answering the writes other nodes hand to this one. `leads` says whether this node
  // has taken the lead (thread-safe). `stream`, `role`, `router` and `metrics` must outlive it.
  static Result<std::unique_ptr<LeaderWrites>> Open(cluster::ReportStream& stream,
                                                    const cluster::ClusterRole& role,
                                                    const api::Router& router,
                                                    std::function<bool()> leads,
                                                    MetricsRegistry& metrics);
  ~LeaderWrites() override = default;

  bool ShouldForward() const override { return !leads_(); }
  void Forward(api::HttpRequest&& request, api::Responder respond) override;

 private:
  LeaderWrites(const cluster::ClusterRole& role, const api::Router& router,
               std::function<bool()> leads, MetricsRegistry& metrics, std::string node_id);
  // A write another node handed to this one.
  void Answer(const std::string& request, const cluster::NodeRequests::Reply& reply) const;

  const cluster::ClusterRole& role_;
  const api::Router& router_;
  const std::function<bool()> leads_;
  const std::string node_id_;
  Counter& forwarded_;   // writes this node handed on and got an answer for
  Counter& unanswered_;  // ... and did not (503)
  Counter& answered_;    // writes handed to this node that it answered as leader
  // Last: goes first, so no request is answered by a half-destroyed object.
  std::unique_ptr<cluster::NodeRequests> requests_;
};

}  // namespace om::server
