#pragma once
// Count series: how many reports fell in each time bucket (a minute or a quarter hour), in two
// layouts chosen by density.
//
//  - DenseSeries keeps one block per day of 16-bit counters (a block is promoted to 32 bits the
//    first time a counter would overflow). Used for a service's total, which has a report in most
//    buckets of a busy service: 2 bytes per bucket.
//  - SparseSeries keeps sorted (bucket, count) pairs, 8 bytes per non-empty bucket. Used per
//    place and per problem type, where most buckets are empty.
//
// Buckets are int32 indexes (minutes or quarters since the epoch). Both types are plain values,
// not thread-safe; the owner (Aggregates) guards them.

#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace om::store {

class SparseSeries {
 public:
  void Add(int32_t bucket, uint32_t n);
  // Sum of buckets in [from, to).
  uint64_t Sum(int32_t from, int32_t to) const;
  // Adds each bucket's count in [from, to) to out[(bucket - from) / step].
  void AccumulateInto(int32_t from, int32_t to, int32_t step, std::vector<uint64_t>& out) const;
  // Removes buckets < `bucket`.
  void DropBefore(int32_t bucket);
  bool empty() const { return points_.empty(); }
  // The newest bucket with a count; INT32_MIN when empty.
  int32_t newest_bucket() const { return points_.empty() ? INT32_MIN : points_.back().bucket; }
  size_t MemoryBytes() const { return points_.capacity() * sizeof(Point); }

  void Serialize(std::string& out) const;
  // Reads what Serialize wrote from data[pos...], advancing pos. kCorruption on bad data.
  Status Deserialize(std::string_view data, size_t& pos);

 private:
  struct Point {
    int32_t bucket;
    uint32_t count;
  };
  std::vector<Point> points_;
};

class DenseSeries {
 public:
  // `buckets_per_block` is the number of buckets per day: 1440 for minutes, 96 for quarters.
  explicit DenseSeries(int32_t buckets_per_block) : per_block_(buckets_per_block) {}
  DenseSeries(DenseSeries&& o) noexcept : per_block_(o.per_block_), blocks_(std::move(o.blocks_)) {}
  DenseSeries& operator=(DenseSeries&& o) noexcept {
    per_block_ = o.per_block_;
    blocks_ = std::move(o.blocks_);
    last_index_ = INT32_MIN;
    last_block_ = nullptr;
    return *this;
  }
  DenseSeries(const DenseSeries&) = delete;
  DenseSeries& operator=(const DenseSeries&) = delete;
  ~DenseSeries() = default;

  void Add(int32_t bucket, uint32_t n);
  uint64_t Get(int32_t bucket) const;
  uint64_t Sum(int32_t from, int32_t to) const;
  void AccumulateInto(int32_t from, int32_t to, int32_t step, std::vector<uint64_t>& out) const;
  void DropBefore(int32_t bucket);
  bool empty() const { return blocks_.empty(); }
  size_t MemoryBytes() const;

  void Serialize(std::string& out) const;
  Status Deserialize(std::string_view data, size_t& pos);

 private:
  struct Block {
    std::vector<uint16_t> narrow;  // used while every counter fits in 16 bits
    std::vector<uint32_t> wide;    // used after promotion; then `narrow` is empty
    uint64_t Get(int32_t i) const { return wide.empty() ? narrow[i] : wide[i]; }
  };
  int32_t BlockOf(int32_t bucket) const;
  Block& BlockFor(int32_t block_index);
  int32_t per_block_;
  std::map<int32_t, Block> blocks_;
  // The block written last: reports arrive nearly in time order, so most Adds hit it. Map nodes
  // are stable, so the pointer stays valid until that block is erased (DropBefore resets it).
  int32_t last_index_ = INT32_MIN;
  Block* last_block_ = nullptr;
};

}  // namespace om::store
