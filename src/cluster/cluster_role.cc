#include "cluster/cluster_role.h"

#include "base/log.h"
#include "cluster/nats_internal.h"

namespace om::cluster {
namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr char kLeaderKey[] = "leader";

}  // namespace

Result<std::unique_ptr<ClusterRole>> ClusterRole::Open(const ClusterRoleOptions& options,
                                                       ReportStream& stream, const Clock& clock,
                                                       std::function<uint64_t()> applied_sequence,
                                                       MetricsRegistry& metrics) {
  // The bucket needs the JetStream meta leader, elected a few seconds after a cluster starts.
  std::unique_ptr<JetStreamKv> kv;
  OM_RETURN_IF_ERROR(internal::RetryTransient(
      std::chrono::steady_clock::now() + stream.options().connect_timeout, [&]() -> Status {
        Result<std::unique_ptr<JetStreamKv>> opened =
            JetStreamKv::Open(stream, options.lease_bucket);
        if (!opened.ok()) return opened.status();
        kv = std::move(*opened);
        return Status::Ok();
      }));
  std::unique_ptr<ClusterRole> role(
      new ClusterRole(options, stream, clock, std::move(kv), std::move(applied_sequence), metrics));
  ClusterRole* r = role.get();
  metrics.AddCallbackGauge("om_cluster_ready",
                           "1 while this node reaches the report stream's leader (a quorum).",
                           [r] { return r->ready().ok() ? 1.0 : 0.0; });
  metrics.AddCallbackGauge(
      "om_cluster_leader",
      "1 while this node holds the leader lease (sends notifications, polls official pages).",
      [r] { return r->leading() ? 1.0 : 0.0; });
  metrics.AddCallbackGauge("om_stream_last_sequence",
                           "The report stream's last sequence, as of the last probe.",
                           [r] { return static_cast<double>(r->stream_last_sequence()); });
  metrics.AddCallbackGauge(
      "om_stream_lag_messages",
      "Report stream messages stored and not yet counted by this node, as of the last probe.", [r] {
        const uint64_t last = r->stream_last_sequence(), applied = r->applied_sequence_();
        return last > applied ? static_cast<double>(last - applied) : 0.0;
      });
  return role;
}

ClusterRole::ClusterRole(const ClusterRoleOptions& options, ReportStream& stream,
                         const Clock& clock, std::unique_ptr<JetStreamKv> kv,
                         std::function<uint64_t()> applied_sequence, MetricsRegistry& metrics)
    : options_(options),
      stream_(stream),
      clock_(clock),
      kv_(std::move(kv)),
      applied_sequence_(std::move(applied_sequence)),
      metrics_(metrics),
      leader_lease_(*kv_, clock, kLeaderKey, stream.options().node_id, options.leader_ttl) {}

ClusterRole::~ClusterRole() { Stop(); }

void ClusterRole::Start() {
  if (worker_.running()) return;
  worker_.Start(options_.probe_interval, [this] { Round(); });
}

void ClusterRole::Stop() {
  if (!worker_.running()) return;
  worker_.Stop();
  if (leader_lease_.held()) {
    leading_until_ms_ = 0;
    if (Status s = leader_lease_.Release(); !s.ok()) {
      OM_LOG(kWarning) << "leader lease not released: " << s.ToString();
    }
  }
}

void ClusterRole::Round() {
  Result<StreamState> state = stream_.State();
  // A leader that lost its followers answers for a while before it steps down: ready only when
  // it has heard from a quorum of the replicas lately.
  if (state.ok() && state->current_replicas * 2 <= state->replicas) {
    state = Status::Unavailable("the stream's leader " + state->leader + " has " +
                                std::to_string(state->current_replicas) + " of " +
                                std::to_string(state->replicas) + " replicas in reach");
  }
  if (state.ok()) {
    last_sequence_ = state->last_sequence;
    last_probe_ok_ns_ = SteadyNanos();
    if (state->leader != stream_leader_) NoteStreamLeader(state->leader);
  } else {
    MutexLock lock(mu_);
    last_probe_error_ = state.status();
  }
  const bool was_leading = leading();
  // Counted from before the renewal: never later than the lease's own expiry.
  const int64_t renewing_at_ms = ToUnixMillis(clock_.Now());
  Result<bool> held = leader_lease_.TryAcquireOrRenew();
  if (held.ok() && *held) {
    leader_token_ = leader_lease_.token();
    leading_until_ms_ = renewing_at_ms + options_.leader_ttl.count();
  } else {
    leading_until_ms_ = 0;
  }
  {
    MutexLock lock(mu_);
    leader_node_ = leader_lease_.holder_seen();
  }
  if (leading() != was_leading) {
    OM_LOG(kInfo) << "node " << stream_.options().node_id
                  << (leading() ? " leads the cluster (lease token " +
                                      std::to_string(leader_lease_.token()) + ")"
                                : " no longer leads the cluster");
  }
  if (!held.ok()) OM_LOG(kWarning) << "leader lease: " << held.status().ToString();
}

void ClusterRole::NoteStreamLeader(const std::string& leader) {
  constexpr char kHelp[] = "1 for the NATS server that leads the report stream's replicas.";
  if (!stream_leader_.empty()) {
    metrics_.GetGauge("om_stream_leader", kHelp, "server=\"" + stream_leader_ + "\"").Set(0);
  }
  stream_leader_ = leader;
  if (!leader.empty()) {
    metrics_.GetGauge("om_stream_leader", kHelp, "server=\"" + leader + "\"").Set(1);
  }
}

Status ClusterRole::ready() const {
  const int64_t last_ok = last_probe_ok_ns_.load();
  const auto age = std::chrono::nanoseconds(SteadyNanos() - last_ok);
  if (last_ok != 0 && age <= options_.ready_within) return Status::Ok();
  MutexLock lock(mu_);
  return Status::Unavailable("no quorum: the report stream's leader did not answer (" +
                             last_probe_error_.message() + ")");
}

std::string ClusterRole::leader_node() const {
  MutexLock lock(mu_);
  return leader_node_;
}

bool ClusterRole::leading() const { return ToUnixMillis(clock_.Now()) < leading_until_ms_.load(); }

}  // namespace om::cluster
