#pragma once
// Deduplicator decides which reports count: one per (reporter, service) per window, as crowd
// trackers keep only a reporter's first. A later report of the same pair inside the window is
// marked a duplicate (stored, not counted). The Store runs one on its writer thread, before the
// log; `backtest` runs one directly on its judging thread, with no log.
//
// Memory is bounded: entries older than two windows can no longer mark anything (reports arrive
// nearly in time order) and are swept every quarter window of event time (Prune); past
// `max_entries` the oldest are forgotten first (EnforceCap), each one counted in `evictions`,
// which can let a reporter count twice inside the window.
//
// Changes can be undone: the Store marks a whole group of reports, and when their log write fails
// it forgets the group (UndoGroup) so that a retry is counted.
//
// Thread-safety: not thread-safe; one thread (the store writer, or the backtest's) owns it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "base/time.h"
#include "store/report.h"

namespace om::store {

struct DedupeOptions {
  Duration window = std::chrono::minutes(30);
  size_t max_entries = 10'000'000;
};

class Deduplicator {
 public:
  // `evictions`, when given, is told how many entries EnforceCap forgot.
  explicit Deduplicator(DedupeOptions options, std::function<void(uint64_t)> evictions = nullptr)
      : options_(options), evictions_(std::move(evictions)) {}

  // Whether `r` is a duplicate; if so sets r.duplicate. Otherwise it counts, and the pair's window
  // starts at its time. Every change is remembered until the next BeginGroup for UndoGroup.
  bool MarkDuplicate(Report& r);
  // Marks a counted report of the log as seen (recovery): no check, no undo.
  void Remember(const Report& r);

  void BeginGroup() { undo_.clear(); }
  // Forgets the changes since BeginGroup, newest first.
  void UndoGroup();

  // Sweeps entries older than two windows, at most once every quarter window (at least a minute)
  // of `now_ms`.
  void Prune(int64_t now_ms);

  size_t size() const { return last_counted_.size(); }
  // The entries, for the snapshot: 16 bytes each (key, time), as docs/formats/snapshot.md says.
  void Serialize(std::string& out) const;
  // Replaces the entries with `count` of them read from data[pos...]; false on truncated data.
  bool Deserialize(std::string_view data, size_t& pos, uint64_t count);
  void Clear() { last_counted_.clear(); }

 private:
  static uint64_t KeyOf(const Report& r);
  void EnforceCap(int64_t now_ms);

  const DedupeOptions options_;
  const std::function<void(uint64_t)> evictions_;
  // (reporter, service) -> event time ms of the last counted report.
  absl::flat_hash_map<uint64_t, int64_t> last_counted_;
  struct Undo {
    uint64_t key;
    std::optional<int64_t> previous;  // nullopt: the key was new
  };
  std::vector<Undo> undo_;
  int64_t last_prune_ms_ = 0;
};

// 64-bit FNV-1a, used for reporter keys and de-dup keys (stable across versions: it is stored).
uint64_t HashKey(std::string_view s, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace om::store
