#include "cluster/stream_intake.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "base/log.h"
#include "cluster/nats_internal.h"
#include "cluster/partition.h"

namespace om::cluster {

using internal::NatsError;
using internal::NatsPtr;

namespace {

uint64_t KeyOf(const natsMsg* msg) { return reinterpret_cast<uintptr_t>(msg); }

}  // namespace

struct StreamIntake::Publisher {
  NatsPtr<jsCtx> js;

  // libnats calls this on its thread for every published message: `pa` on an acknowledgement,
  // `pae` on a refusal or a time-out. The message is ours to destroy.
  static void OnAnswer(jsCtx* /*js*/, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* intake = static_cast<StreamIntake*>(closure);
    Status error;
    if (pa == nullptr) {
      error =
          pae != nullptr
              ? NatsError("the report stream did not acknowledge a message of reports", pae->Err,
                          pae->ErrCode)
              : Status::Unavailable("the report stream did not acknowledge a message of reports");
    }
    intake->Answer(KeyOf(msg), pa != nullptr && pa->Duplicate, error);
    natsMsg_Destroy(msg);
  }
};

Result<std::unique_ptr<StreamIntake>> StreamIntake::Create(ReportStream& stream,
                                                           MetricsRegistry& metrics) {
  std::unique_ptr<StreamIntake> intake(new StreamIntake(stream, metrics));
  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  const ClusterOptions& options = stream.options();
  js_opts.Wait = options.publish_timeout.count();
  // Our own bound (max_in_flight) refuses first; libnats' is a backstop that never stalls us.
  js_opts.PublishAsync.MaxPending = static_cast<int64_t>(options.max_in_flight) * 2;
  js_opts.PublishAsync.AckHandler = &Publisher::OnAnswer;
  js_opts.PublishAsync.AckHandlerClosure = intake.get();
  jsCtx* raw_js = nullptr;
  natsStatus s = natsConnection_JetStream(&raw_js, stream.connection_->nc.get(), &js_opts);
  if (s != NATS_OK) return NatsError("JetStream context for publishing", s);
  intake->publisher_->js.reset(raw_js);
  return intake;
}

StreamIntake::StreamIntake(ReportStream& stream, MetricsRegistry& metrics)
    : stream_(stream),
      max_in_flight_(stream.options().max_in_flight),
      publisher_(std::make_unique<Publisher>()),
      published_total_(metrics.GetCounter("om_cluster_reports_published_total",
                                          "Reports the report stream acknowledged.")),
      failed_total_(
          metrics.GetCounter("om_cluster_reports_publish_failed_total",
                             "Reports the report stream refused or did not acknowledge in time.")),
      ack_seconds_(metrics.GetHistogram(
          "om_cluster_publish_ack_seconds",
          "Time from publishing a message of reports to the stream's acknowledgement.",
          {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5})) {}

StreamIntake::~StreamIntake() { Stop(); }

void StreamIntake::Start() {
  MutexLock lock(mu_);
  running_ = true;
}

void StreamIntake::Stop() {
  {
    MutexLock lock(mu_);
    running_ = false;
    if (in_flight_ == 0) return;
  }
  // Every publish carries MaxWait = publish_timeout, so libnats answers each one (acknowledged
  // or timed out) within that time; wait a little longer for the last answers to run.
  jsPubOptions wait;
  jsPubOptions_Init(&wait);
  wait.MaxWait = stream_.options().publish_timeout.count() + 1000;
  natsStatus s = js_PublishAsyncComplete(publisher_->js.get(), &wait);
  std::vector<std::shared_ptr<Batch>> finished;
  {
    MutexLock lock(mu_);
    if (s != NATS_OK && !pending_.empty()) {
      OM_LOG(kWarning) << "report stream: " << pending_.size()
                       << " messages unanswered at stop; their batches fail";
      const Status stopped = Status::Unavailable("stopped before the report stream answered");
      for (auto& [key, pending] : pending_) {
        Settle(pending.batch, pending.reports, stopped, false);
      }
      pending_.clear();
    }
    finished.swap(finished_);
  }
  Finish(finished);
}

Status StreamIntake::TrySubmit(std::vector<store::Report>&& reports, DoneCallback done) {
  const ClusterOptions& options = stream_.options();
  auto batch = std::make_shared<Batch>();
  batch->done = std::move(done);
  batch->remaining = reports.size();
  {
    MutexLock lock(mu_);
    if (!running_) return Status::Unavailable("report stream intake is not accepting writes");
    if (in_flight_ + reports.size() > max_in_flight_) {
      return Status::ResourceExhausted("report stream: " + std::to_string(in_flight_) +
                                       " reports awaiting acknowledgement (limit " +
                                       std::to_string(max_in_flight_) + ")");
    }
    in_flight_ += reports.size();
  }
  if (reports.empty()) {
    batch->done(Status::Ok(), {});
    return Status::Ok();
  }
  // Each partition's reports in their order, cut into messages of at most reports_per_message.
  std::map<uint32_t, std::vector<const store::Report*>> by_partition;
  for (const store::Report& report : reports) {
    by_partition[PartitionOf(report.service, options.partitions)].push_back(&report);
  }
  const size_t per_message = std::max<size_t>(1, options.reports_per_message);
  size_t published = 0;
  for (const auto& [partition, group] : by_partition) {
    const std::string subject = ReportSubject(partition);
    for (size_t start = 0; start < group.size(); start += per_message) {
      const size_t count = std::min(per_message, group.size() - start);
      const StreamMessage message = EncodeMessage(group.data() + start, count);
      Status failed = Publish(subject, message, batch);
      if (!failed.ok()) {
        std::vector<std::shared_ptr<Batch>> finished;
        {
          MutexLock lock(mu_);
          const size_t unpublished = reports.size() - published;
          if (published == 0) {
            // Nothing of it went out: refuse the batch at once, as the contract says.
            in_flight_ -= unpublished;
            return failed;
          }
          Settle(batch, unpublished, failed, false);
          finished.swap(finished_);
        }
        Finish(finished);
        return Status::Ok();
      }
      published += count;
    }
  }
  return Status::Ok();
}

Status StreamIntake::Publish(const std::string& subject, const StreamMessage& message,
                             const std::shared_ptr<Batch>& batch) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, message.body.data(),
                                static_cast<int>(message.body.size()));
  if (s != NATS_OK) return NatsError("report stream message", s);
  NatsPtr<natsMsg> owned(msg);
  if (message.reports > 1) {
    s = natsMsgHeader_Set(msg, internal::kReportsHeader, std::to_string(message.reports).c_str());
    if (s != NATS_OK) return NatsError("report stream message header", s);
  }
  jsPubOptions pub;
  jsPubOptions_Init(&pub);
  pub.MsgId = message.id.c_str();
  pub.MaxWait = stream_.options().publish_timeout.count();
  const uint64_t key = KeyOf(msg);
  {
    // Registered before publishing: the answer may come before js_PublishMsgAsync returns.
    MutexLock lock(mu_);
    pending_[key] = {batch, std::chrono::steady_clock::now(), message.reports};
  }
  natsMsg* handed = owned.release();
  s = js_PublishMsgAsync(publisher_->js.get(), &handed, &pub);  // takes the message on success
  if (s != NATS_OK) {
    natsMsg_Destroy(handed);
    MutexLock lock(mu_);
    pending_.erase(key);
    return NatsError("publish to the report stream", s);
  }
  return Status::Ok();
}

size_t StreamIntake::queue_depth() const {
  MutexLock lock(mu_);
  return in_flight_;
}

void StreamIntake::Answer(uint64_t key, bool duplicate, const Status& error) {
  std::vector<std::shared_ptr<Batch>> finished;
  {
    MutexLock lock(mu_);
    auto it = pending_.find(key);
    if (it == pending_.end()) return;  // settled at Stop
    if (error.ok()) {
      ack_seconds_.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.published_at)
              .count());
    }
    std::shared_ptr<Batch> batch = std::move(it->second.batch);
    const size_t reports = it->second.reports;
    pending_.erase(it);
    Settle(batch, reports, error, duplicate);
    finished.swap(finished_);
  }
  Finish(finished);
}

void StreamIntake::Settle(const std::shared_ptr<Batch>& batch, size_t count, const Status& error,
                          bool duplicate) {
  in_flight_ -= count;
  batch->remaining -= count;
  if (error.ok()) {
    published_total_.Add(count);
    (duplicate ? batch->result.duplicates : batch->result.accepted) += count;
  } else {
    failed_total_.Add(count);
    if (batch->error.ok()) batch->error = error;
  }
  if (batch->remaining == 0) finished_.push_back(batch);
}

void StreamIntake::Finish(std::vector<std::shared_ptr<Batch>>& finished) {
  for (const auto& batch : finished) {
    if (batch->done) batch->done(batch->error, batch->result);
  }
}

}  // namespace om::cluster
