#pragma once
// StreamIntake: store::ReportIntake for cluster mode. A batch is durable when the report stream
// (report_stream.h) has acknowledged every report of it, that is when a quorum of the NATS
// servers has it on disk; only then does `done` answer Ok. The batch's reports are grouped by
// partition, each partition's in their order, and published asynchronously as messages of at
// most `reports_per_message` reports, with a digest of their content as the Nats-Msg-Id, so a
// client that retries a batch after a 503 within the duplicate window does not store it twice.
//
// What `done` says: `accepted` counts reports the stream stored, `duplicates` those it recognised
// as a repeat of a stored publish. Whether a report then counts (one per reporter, service and
// window) is decided later, by every node alike, in stream order.
//
// Errors, per batch: a report the stream did not acknowledge within `publish_timeout`, or that
// it refused, fails the batch with kUnavailable (the HTTP answer is 503 with Retry-After); the
// reports of that batch that were acknowledged stay stored, and a retry of the whole batch
// stores only the rest. TrySubmit refuses at once with kResourceExhausted when more than
// `max_in_flight` reports would be waiting for acknowledgement, and kUnavailable when stopped.
//
// Thread-safety: as store::ReportIntake. `done` runs on a libnats thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/metrics.h"
#include "base/mutex.h"
#include "cluster/report_stream.h"
#include "store/report_intake.h"

namespace om::cluster {

class StreamIntake final : public store::ReportIntake {
 public:
  // `stream` must outlive the intake.
  static Result<std::unique_ptr<StreamIntake>> Create(ReportStream& stream,
                                                      MetricsRegistry& metrics);
  ~StreamIntake() override;
  StreamIntake(const StreamIntake&) = delete;
  StreamIntake& operator=(const StreamIntake&) = delete;

  void Start() override;
  // Stops accepting and waits (at most `publish_timeout`) for the acknowledgements of what is
  // in flight; batches still unanswered then fail.
  void Stop() override;

  Status TrySubmit(std::vector<store::Report>&& reports, DoneCallback done) override;
  size_t queue_depth() const override;
  size_t queue_capacity() const override { return max_in_flight_; }
  // Stream failures fail their batches, not the intake: always Ok.
  Status write_failure() const override { return Status::Ok(); }

 private:
  struct Batch {
    size_t remaining = 0;  // reports published and not yet answered
    store::WriteResult result;
    Status error;
    DoneCallback done;
  };
  struct Publisher;  // the libnats JetStream context with our acknowledgement handler

  StreamIntake(ReportStream& stream, MetricsRegistry& metrics);
  // Publishes one message of `batch`'s reports. An error when it could not be sent.
  Status Publish(const std::string& subject, const StreamMessage& message,
                 const std::shared_ptr<Batch>& batch);
  // One message's answer: `error` is Ok for an acknowledgement.
  void Answer(uint64_t key, bool duplicate, const Status& error);
  // Takes `count` unanswered reports off `batch` with `error`; runs `done` when none remain.
  void Settle(const std::shared_ptr<Batch>& batch, size_t count, const Status& error,
              bool duplicate) OM_REQUIRES(mu_);
  // Runs `done` of every batch in `finished`, outside the lock.
  static void Finish(std::vector<std::shared_ptr<Batch>>& finished);

  ReportStream& stream_;
  const size_t max_in_flight_;
  std::unique_ptr<Publisher> publisher_;
  Counter& published_total_;
  Counter& failed_total_;
  Histogram& ack_seconds_;

  mutable Mutex mu_;
  bool running_ OM_GUARDED_BY(mu_) = false;
  size_t in_flight_ OM_GUARDED_BY(mu_) = 0;
  // Each published message, keyed by the address of its natsMsg (which libnats hands back to the
  // acknowledgement handler) → its batch, publish time and number of reports.
  struct Pending {
    std::shared_ptr<Batch> batch;
    std::chrono::steady_clock::time_point published_at;
    size_t reports;  // carried by the message
  };
  std::unordered_map<uint64_t, Pending> pending_ OM_GUARDED_BY(mu_);
  // Batches whose `done` is due, collected under the lock and run outside it.
  std::vector<std::shared_ptr<Batch>> finished_ OM_GUARDED_BY(mu_);
};

}  // namespace om::cluster
