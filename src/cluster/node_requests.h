#pragma once
// NodeRequests: one node of the cluster asks another one something and waits for its answer,
// over the report stream's NATS connection (request-reply on the subject
// `om.node.<hex of the node id>`; nothing is stored in a stream). Cluster mode hands operator
// writes to the leader with it (api/write_forwarding.h).
//
// At most once: an ask that timed out may still have been carried out by the other node, so it
// fails with kUnavailable, and whoever asked retries as after any lost connection (the writes
// handed on are idempotent or answer 404/409 when repeated).
//
// Asks are sent in order by one thread (libnats' request call blocks), at most `max_queued`
// waiting; past that, Ask fails at once with kResourceExhausted, so that a dead leader cannot
// pile up callers.
//
// Thread-safety: Ask from any thread; `done` runs on the sending thread, the handler on
// libnats' delivery thread.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "base/periodic_thread.h"
#include "base/status.h"
#include "cluster/report_stream.h"

namespace om::cluster {

struct NodeRequestsOptions {
  // How long an ask waits for its answer.
  std::chrono::milliseconds timeout{5000};
  // Asks waiting to be sent, at most.
  size_t max_queued = 64;
};

class NodeRequests {
 public:
  // Sends `answer` back to the asking node; call it exactly once, from any thread.
  using Reply = std::function<void(std::string answer)>;
  using Handler = std::function<void(std::string request, Reply reply)>;
  using Done = std::function<void(Result<std::string> answer)>;

  // Answers the requests addressed to this node (the stream's node_id) with `handler` from now
  // until destroyed. `stream` must outlive this object.
  static Result<std::unique_ptr<NodeRequests>> Open(ReportStream& stream, Handler handler,
                                                    const NodeRequestsOptions& options = {});
  // Stops answering (waiting for a request being answered) and fails queued asks with
  // kUnavailable.
  ~NodeRequests();
  NodeRequests(const NodeRequests&) = delete;
  NodeRequests& operator=(const NodeRequests&) = delete;

  // Sends `request` to the node `node_id` and calls `done` with its answer, or with
  // kUnavailable naming the node when none of that id listens or it did not answer within the
  // timeout, or kResourceExhausted when `max_queued` asks wait already.
  void Ask(const std::string& node_id, std::string request, Done done);

  // The subject a node with this id answers on.
  static std::string SubjectOf(const std::string& node_id);

 private:
  struct Subscription;
  struct Pending {
    std::string node_id;
    std::string request;
    Done done;
  };
  NodeRequests(ReportStream& stream, Handler handler, const NodeRequestsOptions& options);
  // Sends what is queued (the sending thread's round).
  void SendQueued();
  Result<std::string> Send(const Pending& pending);

  ReportStream& stream_;
  const Handler handler_;
  const NodeRequestsOptions options_;
  std::unique_ptr<Subscription> subscription_;
  Mutex mu_;
  std::deque<Pending> queued_ OM_GUARDED_BY(mu_);
  PeriodicThread sender_;
};

}  // namespace om::cluster
