#include "cluster/node_requests.h"

#include "base/hex.h"
#include "base/log.h"
#include "cluster/nats_internal.h"

namespace om::cluster {

using internal::NatsError;
using internal::NatsPtr;

struct NodeRequests::Subscription {
  NatsPtr<natsSubscription> sub;
};

namespace {

// libnats' delivery thread: hands the request to the handler with a reply that publishes to the
// asker's inbox. The reply holds the connection, which outlives the NodeRequests (the stream's).
void OnRequest(natsConnection* nc, natsSubscription* /*sub*/, natsMsg* raw_msg, void* closure) {
  NatsPtr<natsMsg> msg(raw_msg);
  const auto* handler = static_cast<const NodeRequests::Handler*>(closure);
  const char* inbox = natsMsg_GetReply(msg.get());
  if (inbox == nullptr || inbox[0] == '\0') return;  // not a request: nobody waits for an answer
  std::string request(natsMsg_GetData(msg.get()),
                      static_cast<size_t>(natsMsg_GetDataLength(msg.get())));
  (*handler)(std::move(request), [nc, reply_to = std::string(inbox)](std::string answer) {
    natsStatus s = natsConnection_Publish(nc, reply_to.c_str(), answer.data(),
                                          static_cast<int>(answer.size()));
    // The asker times out and says so; this node can only log it.
    if (s != NATS_OK) OM_LOG(kWarning) << NatsError("answer a node request", s).ToString();
  });
}

}  // namespace

std::string NodeRequests::SubjectOf(const std::string& node_id) {
  // Hex, because a node id may hold dots or spaces, which a subject cannot.
  return "om.node." + HexEncode(node_id);
}

Result<std::unique_ptr<NodeRequests>> NodeRequests::Open(ReportStream& stream, Handler handler,
                                                         const NodeRequestsOptions& options) {
  std::unique_ptr<NodeRequests> requests(new NodeRequests(stream, std::move(handler), options));
  natsConnection* nc = stream.connection_->nc.get();
  const std::string subject = SubjectOf(stream.options().node_id);
  natsSubscription* raw_sub = nullptr;
  natsStatus s = natsConnection_Subscribe(&raw_sub, nc, subject.c_str(), OnRequest,
                                          const_cast<Handler*>(&requests->handler_));
  if (s != NATS_OK) return NatsError("subscribe to " + subject, s);
  requests->subscription_ = std::make_unique<Subscription>();
  requests->subscription_->sub.reset(raw_sub);
  // Once the server has the subscription, an ask addressed to this node reaches it.
  s = natsConnection_FlushTimeout(nc, 2000);
  if (s != NATS_OK) return NatsError("subscribe to " + subject, s);
  requests->sender_.Start(std::chrono::seconds(1), [r = requests.get()] { r->SendQueued(); });
  return requests;
}

NodeRequests::NodeRequests(ReportStream& stream, Handler handler,
                           const NodeRequestsOptions& options)
    : stream_(stream), handler_(std::move(handler)), options_(options) {}

NodeRequests::~NodeRequests() {
  if (subscription_ != nullptr) {
    // Drain: no new request is delivered, and one being answered finishes before the handler
    // (a member of this object) goes.
    natsSubscription* sub = subscription_->sub.get();
    if (natsSubscription_Drain(sub) == NATS_OK) {
      natsSubscription_WaitForDrainCompletion(sub, 5000);
    }
  }
  sender_.Stop();
  std::deque<Pending> left;
  {
    MutexLock lock(mu_);
    left.swap(queued_);
  }
  for (Pending& pending : left) {
    pending.done(Status::Unavailable("node " + stream_.options().node_id + " is stopping"));
  }
}

void NodeRequests::Ask(const std::string& node_id, std::string request, Done done) {
  {
    MutexLock lock(mu_);
    if (queued_.size() < options_.max_queued) {
      queued_.push_back({node_id, std::move(request), std::move(done)});
      sender_.Wake();
      return;
    }
  }
  done(Status::ResourceExhausted(std::to_string(options_.max_queued) + " requests to node " +
                                 node_id + " wait already"));
}

void NodeRequests::SendQueued() {
  while (true) {
    Pending pending;
    {
      MutexLock lock(mu_);
      if (queued_.empty()) return;
      pending = std::move(queued_.front());
      queued_.pop_front();
    }
    pending.done(Send(pending));
  }
}

Result<std::string> NodeRequests::Send(const Pending& pending) {
  natsMsg* raw_reply = nullptr;
  natsStatus s = natsConnection_Request(&raw_reply, stream_.connection_->nc.get(),
                                        SubjectOf(pending.node_id).c_str(), pending.request.data(),
                                        static_cast<int>(pending.request.size()),
                                        static_cast<int64_t>(options_.timeout.count()));
  if (s == NATS_NO_RESPONDERS) {
    return Status::Unavailable("node " + pending.node_id + " does not answer (not running)");
  }
  if (s == NATS_TIMEOUT) {
    return Status::Unavailable("node " + pending.node_id + " did not answer within " +
                               std::to_string(options_.timeout.count()) + " ms");
  }
  if (s != NATS_OK) return NatsError("ask node " + pending.node_id, s);
  NatsPtr<natsMsg> reply(raw_reply);
  return std::string(natsMsg_GetData(reply.get()),
                     static_cast<size_t>(natsMsg_GetDataLength(reply.get())));
}

}  // namespace om::cluster
