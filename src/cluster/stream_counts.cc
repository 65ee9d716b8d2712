#include "cluster/stream_counts.h"

#include <algorithm>

#include "base/log.h"
#include "base/time.h"
#include "store/count_snapshot.h"

namespace om::cluster {
namespace {

// The de-dup table is swept when the newest counted minute enters a new period of this length
// (the Deduplicator's own pace: a quarter window, at least a minute). The period boundaries are
// fixed in event time, so every node sweeps at the same place in the stream, restarted or not.
int64_t SweepPeriodMs(const store::DedupeOptions& options) {
  return std::max<int64_t>(kMillisPerMinute, options.window.count() / 4);
}

}  // namespace

StreamCounts::StreamCounts(const StreamCountsOptions& options, const ReportStream& stream,
                           MetricsRegistry& metrics)
    : options_(options),
      stream_(stream),
      snapshot_path_(options.data_dir + "/stream-snapshot"),
      counted_total_(metrics.GetCounter("om_reports_counted_total", "Reports stored and counted.")),
      duplicates_total_(metrics.GetCounter(
          "om_reports_duplicate_total",
          "Reports stored but not counted: same reporter, service and de-dup window.")),
      undecodable_total_(metrics.GetCounter(
          "om_stream_undecodable_messages_total",
          "Report stream messages whose body did not decode; skipped by every node alike.")),
      follow_errors_total_(metrics.GetCounter(
          "om_stream_follow_errors_total",
          "Times following the report stream failed and started again after the last message.")),
      dedupe_evictions_total_(metrics.GetCounter(
          "om_dedupe_evictions_total",
          "De-duplication entries forgotten early because store.dedupe_max_entries was reached.")),
      dedupe_(options.dedupe, [this](uint64_t n) { dedupe_evictions_total_.Add(n); }),
      aggregates_(options.aggregates) {}

StreamCounts::~StreamCounts() { Stop(); }

Result<std::unique_ptr<StreamCounts>> StreamCounts::Open(const StreamCountsOptions& options,
                                                         const ReportStream& stream,
                                                         MetricsRegistry& metrics) {
  std::unique_ptr<StreamCounts> counts(new StreamCounts(options, stream, metrics));
  OM_RETURN_IF_ERROR(counts->Recover());
  StreamCounts* c = counts.get();
  metrics.AddCallbackGauge("om_stream_applied_sequence",
                           "Report stream sequence up to which this node has counted.",
                           [c] { return static_cast<double>(c->applied_sequence()); });
  metrics.AddCallbackGauge("om_stream_following",
                           "1 while this node reads the report stream, 0 while it cannot.",
                           [c] { return c->following() ? 1.0 : 0.0; });
  return counts;
}

Status StreamCounts::Recover() {
  Env& env = *options_.env;
  OM_ASSIGN_OR_RETURN(lock_, LockDataDir(env, options_.data_dir));
  Result<std::string> read = env.ReadFile(snapshot_path_);
  if (!read.ok() && read.status().code() == StatusCode::kNotFound) return Status::Ok();
  WriterLock aggregates_lock(aggregates_mu_);
  store::SnapshotPosition position;
  Status loaded = read.ok() ? store::DecodeCountSnapshot(*read, store::kStreamSnapshotMagic,
                                                         position, dedupe_, aggregates_)
                            : read.status();
  if (!loaded.ok()) {
    // The stream is the source of truth: count it again from its start.
    OM_LOG(kWarning) << "ignoring snapshot " << snapshot_path_ << " (" << loaded.ToString()
                     << "); counting the report stream from its start";
    dedupe_.Clear();
    aggregates_.Clear();
    return Status::Ok();
  }
  applied_sequence_ = position.first;
  snapshot_sequence_ = position.first;
  OM_LOG(kInfo) << "stream counts restored up to sequence " << position.first;
  return Status::Ok();
}

void StreamCounts::Start() {
  if (follower_.joinable()) return;
  stopping_ = false;
  follower_ = std::thread([this] { FollowLoop(); });
}

void StreamCounts::Stop() {
  if (!follower_.joinable()) return;
  stopping_ = true;
  follower_.join();
  following_ = false;
  if (Status s = WriteSnapshot(); !s.ok()) OM_LOG(kError) << "stream snapshot: " << s.ToString();
}

void StreamCounts::FollowLoop() {
  stream_.Follow(
      applied_sequence_.load() + 1,
      [this](StreamEntry&& entry) {
        following_ = true;
        Apply(entry);
      },
      [this] { return stopping_.load(); },
      [this](const Status& trouble) {
        following_ = false;
        follow_errors_total_.Add();
        OM_LOG(kWarning) << "following the report stream: " << trouble.ToString();
      });
}

void StreamCounts::Apply(StreamEntry& entry) {
  if (!entry.reports.ok()) {
    undecodable_total_.Add();
    OM_LOG(kError) << "report stream sequence " << entry.sequence
                   << " skipped: " << entry.reports.status().ToString();
  } else {
    const int64_t sweep_period = SweepPeriodMs(options_.dedupe);
    size_t counted = 0;
    WriterLock lock(aggregates_mu_);
    for (store::Report& report : *entry.reports) {
      report.duplicate = false;  // decided here, not by whoever published it
      if (dedupe_.MarkDuplicate(report)) continue;
      const int64_t newest_before = aggregates_.newest_minute();
      aggregates_.Add(report);
      ++counted;
      const int64_t newest = aggregates_.newest_minute();
      if (newest == newest_before) continue;
      // Both sweeps happen when the newest counted minute crosses a boundary fixed in event
      // time, never by a clock: at the same place in the stream on every node.
      const bool first = newest_before == INT64_MIN;
      const int64_t period = FloorDiv(newest * kMillisPerMinute, sweep_period);
      if (first || period > FloorDiv(newest_before * kMillisPerMinute, sweep_period)) {
        dedupe_.Prune(period * sweep_period);
      }
      if (first || FloorDiv(newest, kMinutesPerDay) > FloorDiv(newest_before, kMinutesPerDay)) {
        aggregates_.Prune(newest);
      }
    }
    counted_total_.Add(counted);
    duplicates_total_.Add(entry.reports->size() - counted);
    counted_since_snapshot_ += counted;
  }
  {
    MutexLock lock(applied_mu_);
    applied_sequence_ = entry.sequence;
    applied_cv_.SignalAll();
  }
  if (counted_since_snapshot_ >= options_.snapshot_every_reports) {
    if (Status s = WriteSnapshot(); !s.ok()) OM_LOG(kError) << "stream snapshot: " << s.ToString();
  }
}

Status StreamCounts::WriteSnapshot() {
  const uint64_t sequence = applied_sequence_.load();
  std::string file;
  {
    ReaderLock lock(aggregates_mu_);
    file = store::EncodeCountSnapshot(store::kStreamSnapshotMagic,
                                      store::SnapshotPosition{sequence, 0}, dedupe_, aggregates_);
  }
  OM_RETURN_IF_ERROR(WriteFileAtomically(*options_.env, snapshot_path_, file));
  snapshot_sequence_ = sequence;
  counted_since_snapshot_ = 0;
  return Status::Ok();
}

void StreamCounts::ReadAggregates(const std::function<void(const store::Aggregates&)>& fn) const {
  ReaderLock lock(aggregates_mu_);
  fn(aggregates_);
}

std::string StreamCounts::replay_position() const {
  return "stream " + stream_.options().stream + " @ " + std::to_string(snapshot_sequence_.load());
}

bool StreamCounts::WaitUntilApplied(uint64_t sequence, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(applied_mu_);
  while (applied_sequence_.load() < sequence) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    applied_cv_.WaitFor(deadline - now);
  }
  return true;
}

}  // namespace om::cluster
