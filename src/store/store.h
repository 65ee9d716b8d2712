#pragma once
// Store owns everything outagemap persists about reports: the report log (durable), the
// de-duplication state and the per-minute Aggregates, plus the bounded queue that feeds its single
// writer thread.
//
// Write path: HTTP workers call TrySubmit() with a batch of validated reports and a completion
// callback. The writer thread drains the queue in groups (group commit): it marks duplicates,
// appends all records with one write(2), fsyncs if the policy is `always`, counts the reports and
// then calls each batch's callback. So a callback reporting success means the reports are in the
// log and survive a kill -9; with fsync `interval` they survive power loss after at most
// `fsync_interval` more.
//
// Restart: Open() loads the newest snapshot (aggregates + de-dup state + log position) and replays
// the log after that position. A torn log tail is truncated, never fatal.
//
// Thread-safety: TrySubmit, Write and the query methods are thread-safe. Start/Stop from the
// owning thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "base/metrics.h"
#include "base/mutex.h"
#include "base/option_key.h"
#include "base/status.h"
#include "base/time.h"
#include "store/aggregates.h"
#include "store/count_store.h"
#include "store/deduplicator.h"
#include "store/report.h"
#include "store/report_intake.h"
#include "store/report_log.h"

namespace om::store {

enum class FsyncPolicy {
  kAlways,    // fdatasync before acknowledging each group: no acked report is lost on power loss
  kInterval,  // fdatasync every `fsync_interval`: power loss can cost that much acked data
};

struct StoreOptions {
  // Data directory; the log lives in <data_dir>/log, snapshots in <data_dir>/snapshot.
  std::string data_dir = "./var";
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  // With FsyncPolicy::kInterval: the longest time an acked report may sit unsynced.
  Duration fsync_interval = std::chrono::milliseconds(100);
  // One report per (reporter, service) per window is counted; later ones are stored as duplicates.
  Duration dedupe_window = std::chrono::minutes(30);
  // Log segments whose last write is older than this are deleted: at each snapshot, and at most an
  // hour after they pass it on a quiet server. 0 keeps everything.
  Duration log_retention = std::chrono::hours(24 * 30);
  // Log segment size (bytes).
  uint64_t segment_bytes = 64ull << 20;
  // Most (reporter, service) pairs remembered for de-duplication (about 20 bytes each). Past it the
  // oldest are forgotten first, which can let a reporter count twice inside the window; every
  // forgotten pair is counted in om_dedupe_evictions_total.
  size_t dedupe_max_entries = 10'000'000;
  // Capacity of the write queue, in reports; TrySubmit beyond it fails with kResourceExhausted.
  size_t queue_capacity = 262144;
  // A snapshot is written when this many reports were counted since the last one, and on Stop().
  uint64_t snapshot_every_reports = 5'000'000;
  AggregateOptions aggregates;
  // Every file call of the log, the snapshot and the lock goes through it (tests inject faults).
  // Borrowed; it must outlive the store.
  Env* env = Env::Default();
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kStoreOptionKeys[] = {
    {"store.queue_capacity", OptionType::kInt, "", 1, 100000000,
     "reports waiting for the log writer; past it the answer is 429"},
    {"store.snapshot_every_reports", OptionType::kInt, "", 1, 1099511627776,
     "a snapshot of the counts is written after this many reports (and on stop)"},
    {"store.minute_retention_days", OptionType::kInt, "days", 1, 3650,
     "per-minute counts are kept this long, and never less than this before the newest report "
     "(pruned once a day, so up to a day longer; the same for the two below)"},
    {"store.quarter_retention_days", OptionType::kInt, "days", 1, 36500,
     "15-minute counts of service totals (the rollup) are kept this long"},
    {"store.place_quarter_retention_days", OptionType::kInt, "days", 1, 36500,
     "15-minute counts per place and problem type (their minutes, rolled up as they expire) are "
     "kept this long"},
    {"store.fsync_interval_ms", OptionType::kInt, "ms", 1, 60000,
     "longest time an acknowledged report stays unsynced with `interval`"},
    {"store.log_retention_days", OptionType::kInt, "days", 0, 36500,
     "report log segments older than this are deleted (at the next snapshot; a quiet server "
     "snapshots within an hour for it); 0 keeps all"},
    {"store.segment_mb", OptionType::kInt, "MiB", 1, 4096, "report log segment size"},
    {"store.data_dir", OptionType::kString, "", 0, 0, "data directory (`--data` overrides)"},
    {"store.fsync", OptionType::kEnum, "", 0, 0, "`interval` or `always` (see Durability)"},
    {"ingest.dedupe_window_minutes", OptionType::kInt, "min", 0, 10080,
     "one report per reporter and service is counted per window"},
    {"ingest.dedupe_max_entries", OptionType::kInt, "", 1000, 4294967296,
     "most (reporter, service) pairs remembered for de-duplication (~20 bytes each); past it the "
     "oldest are forgotten and counted in `om_dedupe_evictions_total`"},
};

struct RecoveryInfo {
  bool snapshot_loaded = false;
  uint64_t replayed_records = 0;
  uint64_t truncated_bytes = 0;
  uint64_t corrupt_bytes_skipped = 0;
  double seconds = 0;
};

// The local ReportIntake and CountStore: one process, one data dir.
class Store final : public ReportIntake, public CountStore {
 public:
  // Opens (and recovers) the store in options.data_dir. Errors: kUnavailable when another process
  // holds the data dir, kIoError, kCorruption (an unreadable snapshot is not an error: it is
  // ignored and the whole log replayed).
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options, const Clock& clock,
                                             MetricsRegistry& metrics);
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Starts / stops the writer thread. Stop() drains the queue, syncs the log and writes a snapshot.
  void Start() override;
  void Stop() override;

  // Queues `reports` for the writer; `done` runs on the writer thread once they are durable (or
  // failed). It must not block. Errors (done is then not called): kResourceExhausted when the queue
  // is full, kUnavailable when the store is stopped or its log is broken (write_failure());
  // `reports` is left untouched on error.
  //
  // When the disk fails: a failed write, a full disk or (with fsync `always`) a failed fdatasync
  // fails that group's callbacks and leaves nothing of it in the log, and later groups are tried
  // again as usual. A failed fdatasync with fsync `interval` may have lost reports that were
  // acknowledged: the store then refuses every later write (write_failure()) until a restart,
  // rather than go on as if nothing happened.
  Status TrySubmit(std::vector<Report>&& reports, DoneCallback done) override;
  // Submits and waits (SubmitAndWait). For the importer and tests. Blocks while the queue is
  // full.
  Result<WriteResult> Write(std::vector<Report> reports);

  void ReadAggregates(const std::function<void(const Aggregates&)>& fn) const override;
  // "log <segment> @ <offset>": the log position of the newest snapshot ("log 0 @ 0": none yet).
  std::string replay_position() const override;

  const RecoveryInfo& recovery() const { return recovery_; }
  size_t queue_depth() const override;
  // Why the store refuses writes after a disk failure; Ok while it accepts them.
  Status write_failure() const override;
  size_t queue_capacity() const override { return options_.queue_capacity; }
  uint64_t log_bytes() const { return log_bytes_.load(); }
  const std::string& log_dir() const { return log_dir_; }

  // Writes a snapshot now (writer thread must be stopped). For tests and the importer.
  Status TEST_Snapshot();

 private:
  struct Pending {
    std::vector<Report> reports;
    DoneCallback done;
  };
  Store(const StoreOptions& options, const Clock& clock, MetricsRegistry& metrics);
  // TrySubmit's work. Moves from `reports` only when it returns Ok, so that a caller can try the
  // same batch again after kResourceExhausted.
  Status Enqueue(std::vector<Report>& reports, DoneCallback done);
  Status Recover();
  void WriterLoop();
  void ProcessGroup(std::vector<Pending>& group);
  // fdatasync of the log, timed. With fsync `interval` a failure breaks the log (acknowledged
  // reports may be lost) and so sets write_failure_; with `always` the caller un-acks the group.
  Status SyncLog();
  // Copies the log's broken() into write_failure_, so that TrySubmit refuses with its reason.
  void NoteIfLogBroken();
  // Forgets expired de-dup entries (Deduplicator::Prune); once a day of event time, drops
  // aggregate buckets out of retention.
  void PruneState(int64_t now_ms);
  Status WriteSnapshot();
  // True at most once an hour, when the oldest closed log segment is past log_retention.
  bool RetentionDue();
  // Seconds since the epoch before which a segment's last write is past log_retention.
  int64_t RetentionCutoffSeconds() const;

  // Constant after construction.
  const StoreOptions options_;
  const Clock& clock_;
  const std::string log_dir_;
  const std::string snapshot_path_;
  Counter& accepted_total_;
  Counter& duplicates_total_;
  Counter& write_errors_total_;
  Counter& dedupe_evictions_total_;
  Histogram& fsync_seconds_;
  Histogram& group_reports_;

  // Queue, protected by mu_.
  mutable Mutex mu_;
  CondVar queue_cv_{mu_};
  std::vector<Pending> queue_ OM_GUARDED_BY(mu_);
  size_t queued_reports_ OM_GUARDED_BY(mu_) = 0;
  bool running_ OM_GUARDED_BY(mu_) = false;
  bool stopping_ OM_GUARDED_BY(mu_) = false;
  Status write_failure_ OM_GUARDED_BY(mu_);
  LogPosition snapshot_position_ OM_GUARDED_BY(mu_);

  // Owned by the writer thread (or by Open/Stop when it is not running).
  std::unique_ptr<ReportLog> log_;
  Deduplicator dedupe_;
  int64_t last_aggregates_prune_ms_ = 0;
  std::chrono::steady_clock::time_point next_retention_check_{};  // writer thread only
  uint64_t counted_since_snapshot_ = 0;
  std::string frame_buffer_;
  std::thread writer_;
  std::atomic<uint64_t> log_bytes_{0};

  // The aggregates: written by the writer thread under an exclusive lock, read under shared locks.
  mutable SharedMutex aggregates_mu_;
  Aggregates aggregates_ OM_GUARDED_BY(aggregates_mu_);

  RecoveryInfo recovery_;
  std::unique_ptr<FileLock> lock_;  // <data_dir>/LOCK, held for the Store's lifetime
};

}  // namespace om::store
