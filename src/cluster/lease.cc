#include "cluster/lease.h"

#include <algorithm>
#include <utility>

#include "base/hash.h"

namespace om::cluster {
namespace {

// Keys differing only in their last bytes ("n1/17", "n1/18") must spread over the whole range.
uint64_t Hash(std::string_view bytes) { return SplitMix64Finalize(Fnv1a64(bytes)); }

}  // namespace

Lease::Lease(KvStore& kv, const Clock& clock, std::string key, std::string holder,
             std::chrono::milliseconds ttl)
    : kv_(kv),
      clock_(clock),
      key_(std::move(key)),
      holder_(std::move(holder)),
      ttl_ms_(ttl.count()) {}

bool Lease::held() const { return holding_ && ToUnixMillis(clock_.Now()) - renewed_ms_ < ttl_ms_; }

Result<bool> Lease::TryAcquireOrRenew() {
  const int64_t now_ms = ToUnixMillis(clock_.Now());
  const auto took = [&](uint64_t revision, bool renewal) {
    if (!renewal) token_ = revision;
    written_revision_ = revision;
    renewed_ms_ = now_ms;
    holding_ = true;
    holder_seen_ = holder_;
    observed_revision_ = 0;
  };
  // A compare-and-set that lost means someone else wrote first: not ours.
  const auto lost = [&](const Status& status) -> Result<bool> {
    holding_ = false;
    holder_seen_.clear();
    if (status.code() == StatusCode::kAlreadyExists) return false;
    return status;
  };

  Result<KvEntry> entry = kv_.Get(key_);
  holder_seen_ = entry.ok() ? entry->value : std::string();
  if (!entry.ok()) {
    if (entry.status().code() != StatusCode::kNotFound) return lost(entry.status());
    Result<uint64_t> created = kv_.Create(key_, holder_);
    if (!created.ok()) return lost(created.status());
    took(*created, false);
    return true;
  }
  const bool ours = entry->value == holder_;
  if (ours && holding_) {
    // Written since our last write, under our name: another instance of this node (started
    // while this one was paused) holds it now.
    if (entry->revision != written_revision_) return lost(Status::AlreadyExists(key_));
    Result<uint64_t> renewed = kv_.Update(key_, holder_, entry->revision);
    if (!renewed.ok()) return lost(renewed.status());
    took(*renewed, true);
    return true;
  }
  // Ours from before a restart, released, or another holder's that has not moved for a ttl by
  // our own clock: take it, by compare-and-set on the revision we saw.
  bool take = ours || entry->value.empty();
  if (!take) {
    holding_ = false;
    if (entry->revision != observed_revision_) {
      observed_revision_ = entry->revision;
      observed_since_ms_ = now_ms;
      return false;
    }
    take = now_ms - observed_since_ms_ >= ttl_ms_;
    if (!take) return false;
  }
  Result<uint64_t> taken = kv_.Update(key_, holder_, entry->revision);
  if (!taken.ok()) return lost(taken.status());
  took(*taken, false);
  return true;
}

Status Lease::Release() {
  if (!holding_) return Status::Ok();
  holding_ = false;
  holder_seen_.clear();
  Result<uint64_t> released = kv_.Update(key_, "", written_revision_);
  // Someone took it already: nothing left to give up.
  if (!released.ok() && released.status().code() != StatusCode::kAlreadyExists) {
    return released.status();
  }
  return Status::Ok();
}

std::vector<uint32_t> PartitionsOf(const std::string& node,
                                   const std::vector<std::string>& live_nodes,
                                   uint32_t partitions) {
  std::vector<uint32_t> mine;
  for (uint32_t p = 0; p < partitions; ++p) {
    const std::string suffix = "/" + std::to_string(p);
    const std::string* winner = nullptr;
    uint64_t best = 0;
    for (const std::string& candidate : live_nodes) {
      const uint64_t score = Hash(candidate + suffix);
      // Ties (practically never) go to the smaller name, so every node agrees.
      if (winner == nullptr || score > best || (score == best && candidate < *winner)) {
        winner = &candidate;
        best = score;
      }
    }
    if (winner != nullptr && *winner == node) mine.push_back(p);
  }
  return mine;
}

}  // namespace om::cluster
