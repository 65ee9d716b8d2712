#pragma once
// ClusterRole: what this node is in the cluster, kept current by one background round every
// `probe_interval`:
//   - whether it reaches a quorum: it asks the report stream's leader for the stream's state,
//     and the leader must have heard from more than half the replicas lately (a leader cut off
//     from the others still answers for a while); the answer also gives the stream's last sequence,
//     and so this node's counting lag;
//   - whether it leads: it holds the `leader` lease (lease.h) on a replicated key-value bucket,
//     renewed every round. The leader alone sends notifications and polls official status pages,
//     so a cluster sends each notification once, not once per node. When it stops renewing
//     (killed, paused, cut off) another node takes the lease after `leader_ttl`.
//
// Thread-safety: the accessors may be called from any thread; Start/Stop from the owning thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "base/mutex.h"
#include "base/periodic_thread.h"
#include "base/status.h"
#include "base/time.h"
#include "cluster/jetstream_kv.h"
#include "cluster/lease.h"
#include "cluster/report_stream.h"

namespace om::cluster {

struct ClusterRoleOptions {
  // The key-value bucket of leases, and the key of the leader's.
  std::string lease_bucket = "OM_LEASES";
  std::chrono::milliseconds leader_ttl{6000};
  std::chrono::milliseconds probe_interval{1000};
  // The node is ready while its last successful probe is at most this old.
  std::chrono::milliseconds ready_within{3000};
};

class ClusterRole {
 public:
  // Opens the lease bucket (creating it with the stream's replica count), retrying until the
  // stream's connect timeout. `stream` and `clock` must outlive the role; `applied_sequence`
  // (thread-safe) says how far this node has counted, for the lag metric.
  static Result<std::unique_ptr<ClusterRole>> Open(const ClusterRoleOptions& options,
                                                   ReportStream& stream, const Clock& clock,
                                                   std::function<uint64_t()> applied_sequence,
                                                   MetricsRegistry& metrics);
  ~ClusterRole();
  ClusterRole(const ClusterRole&) = delete;
  ClusterRole& operator=(const ClusterRole&) = delete;

  void Start();
  // Stops the rounds and gives the leader lease up, so that another node leads at once.
  void Stop();

  // Ok while the stream's leader answered within `ready_within` with a quorum of current
  // replicas; else why not.
  Status ready() const;
  // Whether this node holds the leader lease now (renewed within the ttl by its own clock).
  bool leading() const;
  // The leader lease's token (lease.h) as of the last round that held it: the fencing token of
  // this node's leadership, larger than every earlier leader's. Meaningful while leading().
  uint64_t leader_token() const { return leader_token_.load(); }
  // The node that held the leader lease at the last round, as the lease's key named it: this
  // node while it leads; "" when nobody holds it or the store did not answer.
  std::string leader_node() const;
  // The stream's last sequence as of the last probe.
  uint64_t stream_last_sequence() const { return last_sequence_.load(); }

 private:
  ClusterRole(const ClusterRoleOptions& options, ReportStream& stream, const Clock& clock,
              std::unique_ptr<JetStreamKv> kv, std::function<uint64_t()> applied_sequence,
              MetricsRegistry& metrics);
  // Points om_stream_leader at the server named `leader`.
  void NoteStreamLeader(const std::string& leader);
  void Round();

  const ClusterRoleOptions options_;
  ReportStream& stream_;
  const Clock& clock_;
  const std::unique_ptr<JetStreamKv> kv_;
  const std::function<uint64_t()> applied_sequence_;
  MetricsRegistry& metrics_;
  Lease leader_lease_;         // the round's thread only (Stop once it is stopped)
  std::string stream_leader_;  // the round's thread only
  PeriodicThread worker_;

  std::atomic<uint64_t> last_sequence_{0};
  // Steady-clock time of the last answered probe; the leader lease held until (our clock, ms).
  std::atomic<int64_t> last_probe_ok_ns_{0};
  std::atomic<int64_t> leading_until_ms_{0};
  std::atomic<uint64_t> leader_token_{0};
  mutable Mutex mu_;
  Status last_probe_error_ OM_GUARDED_BY(mu_) = Status::Unavailable("not probed yet");
  std::string leader_node_ OM_GUARDED_BY(mu_);
};

}  // namespace om::cluster
