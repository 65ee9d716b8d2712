#pragma once
// Internal to the cluster module: libnats handles owned by RAII types, libnats errors as Status,
// and the connection behind a ReportStream. Only this module's .cc files include it (and so
// nats.h).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nats/nats.h>

#include "base/status.h"
#include "cluster/report_stream.h"

namespace om::cluster {
namespace internal {

struct NatsDeleter {
  void operator()(natsConnection* nc) const { natsConnection_Destroy(nc); }
  void operator()(natsOptions* opts) const { natsOptions_Destroy(opts); }
  void operator()(jsCtx* js) const { jsCtx_Destroy(js); }
  void operator()(natsMsg* msg) const { natsMsg_Destroy(msg); }
  void operator()(natsSubscription* sub) const { natsSubscription_Destroy(sub); }
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
  void operator()(jsMsgMetaData* meta) const { jsMsgMetaData_Destroy(meta); }
};
template <typename T>
using NatsPtr = std::unique_ptr<T, NatsDeleter>;

// `what` failed: the status text, the JetStream error code when there is one, and libnats' last
// error on this thread. NATS_TIMEOUT, NATS_NO_RESPONDERS and connection losses are kUnavailable
// (a retry may succeed), NATS_NOT_FOUND kNotFound, the rest kIoError.
Status NatsError(std::string_view what, natsStatus status,
                 jsErrCode code = static_cast<jsErrCode>(0));

// The header that says how many reports a stream message carries (absent: one).
inline constexpr char kReportsHeader[] = "Om-Reports";

// Runs `attempt` until it succeeds, fails in a way a retry cannot mend, or `deadline` passes
// (then with its last error). Worth retrying: kUnavailable (no server, no leader yet, a time-out)
// and kIoError (a new cluster's "no suitable peers" until every server has joined).
Status RetryTransient(std::chrono::steady_clock::time_point deadline,
                      const std::function<Status()>& attempt);
// What the leader of `stream` says of it; kNotFound when there is no such stream.
Result<NatsPtr<jsStreamInfo>> StreamInfoOf(jsCtx* js, const std::string& stream);
// Creates `stream` on `subjects`: file storage, limits retention, `replicas` copies, messages
// kept for `max_age` (0: for ever), publishes with the same message id within
// `duplicate_window` stored once. Ok when another node created it a moment before.
Status AddStream(jsCtx* js, const std::string& stream, const std::string& subjects, int replicas,
                 std::chrono::seconds max_age, std::chrono::seconds duplicate_window);
// An ordered consumer of `subjects` of `stream` from sequence `from`, created within the connect
// timeout of `options` (a new stream leader may take seconds).
Result<NatsPtr<natsSubscription>> SubscribeFrom(const ClusterOptions& options, jsCtx* js,
                                                const std::string& stream,
                                                const std::string& subjects, uint64_t from);
// The last sequence of `stream`, asked of its leader.
Result<uint64_t> LastSequence(jsCtx* js, const std::string& stream);
// ReportStream::Follow for any stream: `fn` gets each message with its stream sequence, in
// order and once, until `stop()`; the subscription is made again after the last message passed
// on when it fails, or when nothing arrives for `stall` while the stream holds later messages.
void FollowStream(const ClusterOptions& options, jsCtx* js, const std::string& stream,
                  const std::string& subjects, uint64_t from,
                  const std::function<void(uint64_t sequence, natsMsg* msg)>& fn,
                  const std::function<bool()>& stop,
                  const std::function<void(const Status&)>& on_trouble,
                  std::chrono::milliseconds stall);

}  // namespace internal

// The connection a ReportStream holds; StreamIntake publishes on it with its own JetStream
// context.
struct ReportStream::Connection {
  internal::NatsPtr<natsConnection> nc;
  internal::NatsPtr<jsCtx> js;
};

}  // namespace om::cluster
