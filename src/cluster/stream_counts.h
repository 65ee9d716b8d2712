#pragma once
// StreamCounts: store::CountStore for cluster mode. Every node follows the whole report stream
// (report_stream.h) in stream order and counts it as the embedded Store counts its log: one
// report per (reporter, service) and de-dup window counts (store::Deduplicator), and counted
// reports go into store::Aggregates. De-duplication runs here, after the stream, and every
// decision depends only on the stream's contents and order (the de-dup table and the aggregates
// are pruned by the newest event time read, never by a clock), so every node that has applied
// the same sequence holds the same counts.
//
// Restart: Open() loads <data_dir>/stream-snapshot (docs/formats/snapshot.md, magic "OMSNAPS1"),
// which records the stream sequence it covers, and following resumes at the next sequence. A
// missing or damaged snapshot means following from the start of the stream. A snapshot is written
// every `snapshot_every_reports` counted reports and on Stop(). The data dir's LOCK is held from
// Open to destruction, as the embedded Store does.
//
// Thread-safety: the CountStore methods and the accessors may be called from any thread;
// Start/Stop from the owning thread. One thread, the follower, applies the stream.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "base/env.h"
#include "base/metrics.h"
#include "base/mutex.h"
#include "base/status.h"
#include "cluster/report_stream.h"
#include "store/aggregates.h"
#include "store/count_store.h"
#include "store/deduplicator.h"

namespace om::cluster {

struct StreamCountsOptions {
  // Holds the stream snapshot and the LOCK (the node's data dir).
  std::string data_dir = "./var";
  store::DedupeOptions dedupe;
  store::AggregateOptions aggregates;
  uint64_t snapshot_every_reports = 5'000'000;
  // Every file call goes through it. Borrowed; it must outlive the counts.
  Env* env = Env::Default();
};

class StreamCounts final : public store::CountStore {
 public:
  // Takes the data dir's LOCK and loads the snapshot. `stream` must outlive the counts. Errors:
  // kUnavailable when another process holds the data dir; kIoError.
  static Result<std::unique_ptr<StreamCounts>> Open(const StreamCountsOptions& options,
                                                    const ReportStream& stream,
                                                    MetricsRegistry& metrics);
  ~StreamCounts() override;
  StreamCounts(const StreamCounts&) = delete;
  StreamCounts& operator=(const StreamCounts&) = delete;

  // Starts / stops the follower thread. Stop() writes a snapshot.
  void Start();
  void Stop();

  void ReadAggregates(const std::function<void(const store::Aggregates&)>& fn) const override;
  // "stream OM_REPORTS @ <sequence>": where the newest snapshot resumes.
  std::string replay_position() const override;

  // Every message up to this sequence is counted (0: none).
  uint64_t applied_sequence() const { return applied_sequence_.load(); }
  // Whether the follower currently reads the stream (false while it cannot reach a leader).
  bool following() const { return following_.load(); }
  // Blocks until applied_sequence() >= `sequence` or `timeout` passes; true when reached.
  bool WaitUntilApplied(uint64_t sequence, std::chrono::milliseconds timeout) const;

 private:
  StreamCounts(const StreamCountsOptions& options, const ReportStream& stream,
               MetricsRegistry& metrics);
  Status Recover();
  void FollowLoop();
  // Counts one message's reports, in their order.
  void Apply(StreamEntry& entry);
  Status WriteSnapshot();

  const StreamCountsOptions options_;
  const ReportStream& stream_;
  const std::string snapshot_path_;
  Counter& counted_total_;
  Counter& duplicates_total_;
  Counter& undecodable_total_;
  Counter& follow_errors_total_;
  Counter& dedupe_evictions_total_;

  // Owned by the follower thread (or by Open/Stop when it is not running).
  store::Deduplicator dedupe_;
  uint64_t counted_since_snapshot_ = 0;
  std::thread follower_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> following_{false};
  std::atomic<uint64_t> applied_sequence_{0};
  // Signalled when applied_sequence_ moves (WaitUntilApplied).
  mutable Mutex applied_mu_;
  mutable CondVar applied_cv_{applied_mu_};

  // The aggregates: written by the follower under an exclusive lock, read under shared locks.
  mutable SharedMutex aggregates_mu_;
  store::Aggregates aggregates_ OM_GUARDED_BY(aggregates_mu_);
  // The sequence the newest snapshot covers (for replay_position).
  std::atomic<uint64_t> snapshot_sequence_{0};

  std::unique_ptr<FileLock> lock_;  // <data_dir>/LOCK
};

}  // namespace om::cluster
