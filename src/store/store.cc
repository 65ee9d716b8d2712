#include "store/store.h"

#include <utility>

#include "base/log.h"
#include "store/count_snapshot.h"

namespace om::store {

Store::Store(const StoreOptions& options, const Clock& clock, MetricsRegistry& metrics)
    : options_(options),
      clock_(clock),
      log_dir_(options.data_dir + "/log"),
      snapshot_path_(options.data_dir + "/snapshot"),
      accepted_total_(
          metrics.GetCounter("om_reports_counted_total", "Reports stored and counted.")),
      duplicates_total_(metrics.GetCounter(
          "om_reports_duplicate_total",
          "Reports stored but not counted: same reporter, service and de-dup window.")),
      write_errors_total_(metrics.GetCounter(
          "om_log_write_errors_total",
          "Failed report log writes (groups not acked) and failed periodic fdatasyncs.")),
      dedupe_evictions_total_(metrics.GetCounter(
          "om_dedupe_evictions_total",
          "De-duplication entries forgotten early because store.dedupe_max_entries was reached.")),
      fsync_seconds_(metrics.GetHistogram(
          "om_log_fsync_seconds", "Latency of report log fdatasync calls.",
          {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})),
      group_reports_(metrics.GetHistogram("om_log_group_commit_reports",
                                          "Reports per group commit (one write(2) each).",
                                          {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536})),
      dedupe_(DedupeOptions{options.dedupe_window, options.dedupe_max_entries},
              [this](uint64_t n) { dedupe_evictions_total_.Add(n); }),
      aggregates_(options.aggregates) {}

Store::~Store() { Stop(); }

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options, const Clock& clock,
                                           MetricsRegistry& metrics) {
  std::unique_ptr<Store> store(new Store(options, clock, metrics));
  OM_RETURN_IF_ERROR(store->Recover());
  Store* s = store.get();
  metrics.AddCallbackGauge("om_ingest_queue_depth", "Reports waiting for the log writer.",
                           [s] { return static_cast<double>(s->queue_depth()); });
  metrics.AddCallbackGauge("om_ingest_queue_capacity", "Capacity of the log writer queue.",
                           [s] { return static_cast<double>(s->queue_capacity()); });
  metrics.AddCallbackGauge("om_log_bytes", "Bytes in report log segments.",
                           [s] { return static_cast<double>(s->log_bytes()); });
  return store;
}

Status Store::Recover() {
  auto started = std::chrono::steady_clock::now();
  // No other thread exists yet: the lock is uncontended. (The functions below reach the
  // aggregates through a pointer, since the analysis does not see a lambda run under it.)
  WriterLock aggregates_lock(aggregates_mu_);
  Aggregates* const aggregates = &aggregates_;
  Env& env = *options_.env;
  OM_ASSIGN_OR_RETURN(lock_, LockDataDir(env, options_.data_dir));
  LogOptions log_options{.dir = log_dir_,
                         .segment_bytes = options_.segment_bytes,
                         .env = options_.env,
                         .acknowledged_before_sync = options_.fsync == FsyncPolicy::kInterval};
  OM_ASSIGN_OR_RETURN(log_, ReportLog::Open(log_options, &recovery_.truncated_bytes));

  LogPosition from;
  Result<std::string> read = env.ReadFile(snapshot_path_);
  if (read.ok() || read.status().code() != StatusCode::kNotFound) {  // no snapshot yet: replay all
    std::string data = read.ok() ? std::move(*read) : std::string();
    Status s = [&]() -> Status {
      if (!read.ok()) return read.status();
      SnapshotPosition position;
      OM_RETURN_IF_ERROR(
          DecodeCountSnapshot(data, kLogSnapshotMagic, position, dedupe_, *aggregates));
      from = LogPosition{position.first, position.second};
      return Status::Ok();
    }();
    if (!s.ok()) {
      OM_LOG(kWarning) << "ignoring snapshot " << snapshot_path_ << " (" << s.ToString()
                       << "); replaying the whole log";
      dedupe_.Clear();
      aggregates->Clear();
      from = LogPosition{};
    } else {
      recovery_.snapshot_loaded = true;
      MutexLock position_lock(mu_);
      snapshot_position_ = from;
    }
  }
  Status decode_error;
  OM_ASSIGN_OR_RETURN(ReadStats stats,
                      ReadLog(env, log_dir_, from, [&](std::string_view payload, LogPosition) {
                        Result<Report> r = DecodeReport(payload);
                        if (!r.ok()) {
                          decode_error = r.status();
                          return;
                        }
                        if (r->duplicate) return;
                        dedupe_.Remember(*r);
                        aggregates->Add(*r);
                      }));
  if (!decode_error.ok()) {
    OM_LOG(kWarning) << "report log: undecodable record skipped: " << decode_error.ToString();
  }
  recovery_.replayed_records = stats.records;
  recovery_.corrupt_bytes_skipped = stats.corrupt_bytes_skipped;
  log_bytes_ = log_->bytes_on_disk();
  recovery_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return Status::Ok();
}

void Store::Start() {
  MutexLock lock(mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  writer_ = std::thread([this] { WriterLoop(); });
}

void Store::Stop() {
  {
    MutexLock lock(mu_);
    if (!running_) return;
    stopping_ = true;
    queue_cv_.SignalAll();
  }
  writer_.join();
  {
    MutexLock lock(mu_);
    running_ = false;
  }
  Status s = log_->Sync();
  if (s.ok()) s = WriteSnapshot();
  if (!s.ok()) OM_LOG(kError) << "store stop: " << s.ToString();
}

size_t Store::queue_depth() const {
  MutexLock lock(mu_);
  return queued_reports_;
}

Status Store::TrySubmit(std::vector<Report>&& reports, DoneCallback done) {
  return Enqueue(reports, std::move(done));
}

Status Store::Enqueue(std::vector<Report>& reports, DoneCallback done) {
  MutexLock lock(mu_);
  if (!running_ || stopping_) return Status::Unavailable("store is not accepting writes");
  if (!write_failure_.ok()) return write_failure_;
  if (queued_reports_ + reports.size() > options_.queue_capacity) {
    return Status::ResourceExhausted("ingest queue full (" +
                                     std::to_string(options_.queue_capacity) + " reports)");
  }
  queued_reports_ += reports.size();
  // std::exchange leaves `reports` empty rather than moved-from.
  queue_.push_back({std::exchange(reports, {}), std::move(done)});
  queue_cv_.Signal();
  return Status::Ok();
}

void Store::ReadAggregates(const std::function<void(const Aggregates&)>& fn) const {
  ReaderLock lock(aggregates_mu_);
  fn(aggregates_);
}

std::string Store::replay_position() const {
  MutexLock lock(mu_);
  return "log " + std::to_string(snapshot_position_.segment) + " @ " +
         std::to_string(snapshot_position_.offset);
}

Status Store::write_failure() const {
  MutexLock lock(mu_);
  return write_failure_;
}

Result<WriteResult> Store::Write(std::vector<Report> reports) {
  return SubmitAndWait(*this, std::move(reports));
}

void Store::WriterLoop() {
  std::vector<Pending> group;
  auto last_sync = std::chrono::steady_clock::now();
  bool unsynced = false;
  for (;;) {
    bool stop = false;
    {
      MutexLock lock(mu_);
      while (queue_.empty() && !stopping_) {
        if (unsynced) {
          queue_cv_.WaitFor(options_.fsync_interval);
          break;
        }
        queue_cv_.Wait();
      }
      group.swap(queue_);
      for (const Pending& p : group) queued_reports_ -= p.reports.size();
      stop = stopping_ && group.empty();
    }
    if (!group.empty()) {
      ProcessGroup(group);
      group.clear();
      unsynced = options_.fsync == FsyncPolicy::kInterval;
    }
    auto now = std::chrono::steady_clock::now();
    if (unsynced && (now - last_sync >= options_.fsync_interval || stop)) {
      if (!SyncLog().ok()) write_errors_total_.Add();
      last_sync = now;
      unsynced = false;
    }
    if (stop) return;
  }
}

void Store::PruneState(int64_t now_ms) {
  dedupe_.Prune(now_ms);
  if (now_ms - last_aggregates_prune_ms_ < Aggregates::kPruneEveryMs) return;
  last_aggregates_prune_ms_ = now_ms;
  WriterLock lock(aggregates_mu_);
  aggregates_.Prune(now_ms / 60000);
}

void Store::ProcessGroup(std::vector<Pending>& group) {
  frame_buffer_.clear();
  dedupe_.BeginGroup();
  std::string payload;
  std::vector<WriteResult> results(group.size());
  size_t total = 0;
  int64_t newest_ts = INT64_MIN;
  for (size_t g = 0; g < group.size(); ++g) {
    for (Report& r : group[g].reports) {
      if (dedupe_.MarkDuplicate(r)) {
        ++results[g].duplicates;
      } else {
        ++results[g].accepted;
      }
      payload.clear();
      EncodeReport(r, payload);
      FrameRecord(payload, frame_buffer_);
      newest_ts = std::max(newest_ts, r.ts_ms);
      ++total;
    }
  }
  group_reports_.Observe(static_cast<double>(total));
  Status s = log_->Append(frame_buffer_);
  if (s.ok() && options_.fsync == FsyncPolicy::kAlways) {
    s = SyncLog();
    // Not acknowledged, so not kept: a restart must not count what the clients were told failed.
    if (!s.ok()) {
      Status undo = log_->UndoLastAppend();
      if (!undo.ok()) s = undo;
    }
  }
  log_bytes_ = log_->bytes_on_disk();
  if (!s.ok()) {
    write_errors_total_.Add();
    OM_LOG(kError) << "report log append: " << s.ToString();
    NoteIfLogBroken();
    // Nothing of the group was acked: forget it in the de-dup table too, so a retry is counted.
    dedupe_.UndoGroup();
    for (Pending& p : group) {
      for (Report& r : p.reports) r.duplicate = false;
    }
    for (Pending& p : group) {
      if (p.done) p.done(s, WriteResult{});
    }
    return;
  }
  size_t counted = 0;
  {
    WriterLock lock(aggregates_mu_);
    for (const Pending& p : group) {
      for (const Report& r : p.reports) {
        if (r.duplicate) continue;
        aggregates_.Add(r);
        ++counted;
      }
    }
  }
  accepted_total_.Add(counted);
  duplicates_total_.Add(total - counted);
  for (size_t g = 0; g < group.size(); ++g) {
    if (group[g].done) group[g].done(Status::Ok(), results[g]);
  }
  int64_t now_ms = ToUnixMillis(clock_.Now());
  PruneState(std::max(now_ms, newest_ts));
  counted_since_snapshot_ += counted;
  if (counted_since_snapshot_ >= options_.snapshot_every_reports || RetentionDue()) {
    Status snap = SyncLog();
    if (snap.ok()) snap = WriteSnapshot();
    if (!snap.ok()) OM_LOG(kError) << "snapshot: " << snap.ToString();
  }
}

Status Store::SyncLog() {
  auto t0 = std::chrono::steady_clock::now();
  Status s = log_->Sync();
  fsync_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (!s.ok()) {
    OM_LOG(kError) << "report log sync: " << s.ToString();
    NoteIfLogBroken();
  }
  return s;
}

void Store::NoteIfLogBroken() {
  if (log_->broken().ok()) return;
  MutexLock lock(mu_);
  write_failure_ = log_->broken();
}

bool Store::RetentionDue() {
  // A segment may only be deleted once a snapshot covers its counts, and snapshots follow
  // traffic (every snapshot_every_reports). On a quiet server that could keep segments far past
  // log_retention: so once an hour, if the oldest closed segment is past it, snapshot now.
  if (options_.log_retention.count() == 0) return false;
  auto now = std::chrono::steady_clock::now();
  if (now < next_retention_check_) return false;
  next_retention_check_ = now + std::chrono::hours(1);
  std::vector<uint64_t> segments = log_->segments();
  if (segments.size() < 2) return false;  // the newest segment is still being written
  Result<int64_t> modified =
      options_.env->ModifiedSeconds(log_dir_ + "/" + SegmentFileName(segments[0]));
  return modified.ok() && *modified < RetentionCutoffSeconds();
}

int64_t Store::RetentionCutoffSeconds() const {
  auto cutoff = std::chrono::system_clock::now() - options_.log_retention;
  return std::chrono::duration_cast<std::chrono::seconds>(cutoff.time_since_epoch()).count();
}

Status Store::WriteSnapshot() {
  LogPosition end = log_->end();
  std::string file;
  {
    ReaderLock lock(aggregates_mu_);
    file = EncodeCountSnapshot(kLogSnapshotMagic, SnapshotPosition{end.segment, end.offset},
                               dedupe_, aggregates_);
  }
  OM_RETURN_IF_ERROR(WriteFileAtomically(*options_.env, snapshot_path_, file));
  {
    MutexLock lock(mu_);
    snapshot_position_ = end;
  }
  counted_since_snapshot_ = 0;
  // Retention: segments fully covered by the snapshot and older than log_retention may go.
  if (options_.log_retention.count() > 0) {
    const int64_t cutoff = RetentionCutoffSeconds();
    uint64_t drop_before = 0;
    for (uint64_t seg : log_->segments()) {
      Result<int64_t> modified =
          options_.env->ModifiedSeconds(log_dir_ + "/" + SegmentFileName(seg));
      if (!modified.ok() || *modified >= cutoff || seg >= end.segment) break;
      drop_before = seg + 1;
    }
    if (drop_before > 0) OM_RETURN_IF_ERROR(log_->DropSegmentsBefore(drop_before));
  }
  return Status::Ok();
}

Status Store::TEST_Snapshot() {
  OM_RETURN_IF_ERROR(log_->Sync());
  return WriteSnapshot();
}

}  // namespace om::store
