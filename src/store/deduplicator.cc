#include "store/deduplicator.h"

#include <algorithm>
#include <cstring>

namespace om::store {

uint64_t HashKey(std::string_view s, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t Deduplicator::KeyOf(const Report& r) {
  return HashKey(r.service, r.reporter_key ^ 0x9e3779b97f4a7c15ull);
}

bool Deduplicator::MarkDuplicate(Report& r) {
  uint64_t key = KeyOf(r);
  auto [it, inserted] = last_counted_.try_emplace(key, r.ts_ms);
  if (inserted) {
    undo_.push_back({key, std::nullopt});
    if (last_counted_.size() > options_.max_entries) EnforceCap(r.ts_ms);
    return false;
  }
  int64_t window = options_.window.count();
  if (r.ts_ms - it->second < window && it->second - r.ts_ms < window) {
    r.duplicate = true;
    return true;
  }
  undo_.push_back({key, it->second});
  it->second = r.ts_ms;
  return false;
}

void Deduplicator::Remember(const Report& r) { last_counted_[KeyOf(r)] = r.ts_ms; }

void Deduplicator::UndoGroup() {
  // The undo log may name keys EnforceCap erased; undoing them only restores entries, which is
  // harmless.
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->previous) {
      last_counted_[it->key] = *it->previous;
    } else {
      last_counted_.erase(it->key);
    }
  }
  undo_.clear();
}

void Deduplicator::Prune(int64_t now_ms) {
  // Every quarter of a window, not every minute: each pass walks every entry (a backtest spent
  // 6% of its time here), and a quarter window more is little.
  if (now_ms - last_prune_ms_ < std::max<int64_t>(60000, options_.window.count() / 4)) return;
  last_prune_ms_ = now_ms;
  int64_t horizon = now_ms - 2 * options_.window.count();
  absl::erase_if(last_counted_, [horizon](const auto& kv) { return kv.second < horizon; });
}

void Deduplicator::EnforceCap(int64_t now_ms) {
  // First what can no longer match in-order traffic, then ever newer entries, halving the age
  // kept each round, until 90% of the cap. Bounded: at most 40 rounds.
  size_t target = options_.max_entries - options_.max_entries / 10;
  int64_t keep = options_.window.count();
  size_t before = last_counted_.size();
  for (int round = 0; round < 40 && last_counted_.size() > target; ++round) {
    int64_t horizon = now_ms - keep;
    absl::erase_if(last_counted_, [horizon](const auto& kv) { return kv.second < horizon; });
    keep /= 2;
  }
  if (last_counted_.size() > target) last_counted_.clear();  // all entries at the same instant
  if (evictions_) evictions_(before - last_counted_.size());
}

void Deduplicator::Serialize(std::string& out) const {
  for (const auto& [key, ts] : last_counted_) {
    out.append(reinterpret_cast<const char*>(&key), 8);
    out.append(reinterpret_cast<const char*>(&ts), 8);
  }
}

bool Deduplicator::Deserialize(std::string_view data, size_t& pos, uint64_t count) {
  last_counted_.clear();
  if (pos > data.size() || (data.size() - pos) / 16 < count) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t key;
    int64_t ts;
    std::memcpy(&key, data.data() + pos, 8);
    std::memcpy(&ts, data.data() + pos + 8, 8);
    pos += 16;
    last_counted_[key] = ts;
  }
  return true;
}

}  // namespace om::store
