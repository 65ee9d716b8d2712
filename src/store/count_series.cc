#include "store/count_series.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace om::store {
namespace {

template <typename T>
void PutRaw(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

template <typename T>
bool GetRaw(std::string_view data, size_t& pos, T& v) {
  if (data.size() - pos < sizeof(T) || pos > data.size()) return false;
  std::memcpy(&v, data.data() + pos, sizeof(T));
  pos += sizeof(T);
  return true;
}

int32_t FloorDiv(int32_t a, int32_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

void SparseSeries::Add(int32_t bucket, uint32_t n) {
  // Reports arrive nearly in time order, so the common case is the last point or a new last one.
  if (!points_.empty() && points_.back().bucket == bucket) {
    points_.back().count += n;
    return;
  }
  if (points_.empty() || points_.back().bucket < bucket) {
    points_.push_back({bucket, n});
    return;
  }
  auto it = std::lower_bound(points_.begin(), points_.end(), bucket,
                             [](const Point& p, int32_t b) { return p.bucket < b; });
  if (it != points_.end() && it->bucket == bucket) {
    it->count += n;
  } else {
    points_.insert(it, {bucket, n});
  }
}

uint64_t SparseSeries::Sum(int32_t from, int32_t to) const {
  // Most places of a service had no report in a recent window: answered without a search (the
  // detector's metro scan asks every city of a large service every 5 minutes).
  if (points_.empty() || points_.back().bucket < from || points_.front().bucket >= to) return 0;
  if (points_.back().bucket < to) {
    // A window that reaches the newest point, as the detector's are: walk back from the end, a
    // few points in cache instead of a binary search over days of them.
    uint64_t sum = 0;
    for (auto it = points_.rbegin(); it != points_.rend() && it->bucket >= from; ++it) {
      sum += it->count;
    }
    return sum;
  }
  auto it = std::lower_bound(points_.begin(), points_.end(), from,
                             [](const Point& p, int32_t b) { return p.bucket < b; });
  uint64_t sum = 0;
  for (; it != points_.end() && it->bucket < to; ++it) sum += it->count;
  return sum;
}

void SparseSeries::AccumulateInto(int32_t from, int32_t to, int32_t step,
                                  std::vector<uint64_t>& out) const {
  auto it = std::lower_bound(points_.begin(), points_.end(), from,
                             [](const Point& p, int32_t b) { return p.bucket < b; });
  for (; it != points_.end() && it->bucket < to; ++it) {
    size_t i = static_cast<size_t>((it->bucket - from) / step);
    if (i < out.size()) out[i] += it->count;
  }
}

void SparseSeries::DropBefore(int32_t bucket) {
  // Most calls drop nothing (the cut moves once a day): answer them without a search.
  if (points_.empty() || points_.front().bucket >= bucket) return;
  auto it = std::lower_bound(points_.begin(), points_.end(), bucket,
                             [](const Point& p, int32_t b) { return p.bucket < b; });
  points_.erase(points_.begin(), it);
  if (points_.capacity() > 2 * points_.size() + 16) points_.shrink_to_fit();
}

void SparseSeries::Serialize(std::string& out) const {
  PutRaw<uint32_t>(out, static_cast<uint32_t>(points_.size()));
  for (const Point& p : points_) {
    PutRaw(out, p.bucket);
    PutRaw(out, p.count);
  }
}

Status SparseSeries::Deserialize(std::string_view data, size_t& pos) {
  uint32_t n;
  if (!GetRaw(data, pos, n) || n > (data.size() - pos) / 8) {
    return Status::Corruption("sparse series: bad length");
  }
  points_.resize(n);
  for (Point& p : points_) {
    if (!GetRaw(data, pos, p.bucket) || !GetRaw(data, pos, p.count)) {
      return Status::Corruption("sparse series: truncated");
    }
  }
  return Status::Ok();
}

int32_t DenseSeries::BlockOf(int32_t bucket) const { return FloorDiv(bucket, per_block_); }

DenseSeries::Block& DenseSeries::BlockFor(int32_t block_index) {
  if (block_index != last_index_) {
    last_block_ = &blocks_[block_index];
    last_index_ = block_index;
  }
  return *last_block_;
}

void DenseSeries::Add(int32_t bucket, uint32_t n) {
  int32_t b = BlockOf(bucket);
  int32_t i = bucket - b * per_block_;
  Block& block = BlockFor(b);
  if (block.narrow.empty() && block.wide.empty()) block.narrow.assign(per_block_, 0);
  if (block.wide.empty()) {
    uint64_t v = uint64_t{block.narrow[i]} + n;
    if (v <= std::numeric_limits<uint16_t>::max()) {
      block.narrow[i] = static_cast<uint16_t>(v);
      return;
    }
    block.wide.assign(block.narrow.begin(), block.narrow.end());
    std::vector<uint16_t>().swap(block.narrow);
  }
  block.wide[i] += n;
}

uint64_t DenseSeries::Get(int32_t bucket) const {
  int32_t b = BlockOf(bucket);
  auto it = blocks_.find(b);
  return it == blocks_.end() ? 0 : it->second.Get(bucket - b * per_block_);
}

uint64_t DenseSeries::Sum(int32_t from, int32_t to) const {
  std::vector<uint64_t> one(1, 0);
  if (to <= from) return 0;
  AccumulateInto(from, to, to - from, one);
  return one[0];
}

namespace {

// Adds counts[bucket - base] for buckets [lo, hi) to out[(bucket - from) / step], one output
// bucket at a time: a plain sum over contiguous counters, with no branch on the data (quiet
// hours' zero buckets made a per-bucket `if` mispredict) and no division per bucket.
template <typename Counter>
void AddBuckets(const Counter* counts, int32_t base, int32_t lo, int32_t hi, int32_t from,
                int32_t step, std::vector<uint64_t>& out) {
  int32_t bucket = lo;
  while (bucket < hi) {
    auto k = static_cast<size_t>((bucket - from) / step);
    if (k >= out.size()) return;
    int32_t end = std::min(hi, from + static_cast<int32_t>(k + 1) * step);
    uint64_t sum = 0;
    for (; bucket < end; ++bucket) sum += counts[bucket - base];
    out[k] += sum;
  }
}

}  // namespace

void DenseSeries::AccumulateInto(int32_t from, int32_t to, int32_t step,
                                 std::vector<uint64_t>& out) const {
  if (to <= from) return;
  for (auto it = blocks_.lower_bound(BlockOf(from)); it != blocks_.end(); ++it) {
    int32_t base = it->first * per_block_;
    if (base >= to) break;
    int32_t lo = std::max(from, base), hi = std::min(to, base + per_block_);
    const Block& b = it->second;
    if (b.wide.empty()) {
      AddBuckets(b.narrow.data(), base, lo, hi, from, step, out);
    } else {
      AddBuckets(b.wide.data(), base, lo, hi, from, step, out);
    }
  }
}

void DenseSeries::DropBefore(int32_t bucket) {
  // Whole blocks only: a partly expired day stays until all of it is older than the horizon.
  blocks_.erase(blocks_.begin(), blocks_.lower_bound(BlockOf(bucket)));
  last_index_ = INT32_MIN;
  last_block_ = nullptr;
}

size_t DenseSeries::MemoryBytes() const {
  size_t bytes = 0;
  for (const auto& [index, block] : blocks_) {
    bytes += 64 + block.narrow.capacity() * 2 + block.wide.capacity() * 4;  // 64: map node
  }
  return bytes;
}

void DenseSeries::Serialize(std::string& out) const {
  PutRaw<int32_t>(out, per_block_);
  PutRaw<uint32_t>(out, static_cast<uint32_t>(blocks_.size()));
  for (const auto& [index, block] : blocks_) {
    PutRaw(out, index);
    bool wide = !block.wide.empty();
    out.push_back(wide ? 1 : 0);
    if (wide) {
      out.append(reinterpret_cast<const char*>(block.wide.data()), block.wide.size() * 4);
    } else {
      out.append(reinterpret_cast<const char*>(block.narrow.data()), block.narrow.size() * 2);
    }
  }
}

Status DenseSeries::Deserialize(std::string_view data, size_t& pos) {
  int32_t per_block;
  uint32_t n;
  if (!GetRaw(data, pos, per_block) || per_block != per_block_ || !GetRaw(data, pos, n)) {
    return Status::Corruption("dense series: bad header");
  }
  blocks_.clear();
  last_index_ = INT32_MIN;
  last_block_ = nullptr;
  for (uint32_t k = 0; k < n; ++k) {
    int32_t index;
    uint8_t wide;
    if (!GetRaw(data, pos, index) || !GetRaw(data, pos, wide) || wide > 1) {
      return Status::Corruption("dense series: bad block header");
    }
    size_t bytes = static_cast<size_t>(per_block_) * (wide ? 4 : 2);
    if (data.size() - pos < bytes) return Status::Corruption("dense series: truncated block");
    Block& block = blocks_[index];
    if (wide) {
      block.wide.resize(per_block_);
      std::memcpy(block.wide.data(), data.data() + pos, bytes);
    } else {
      block.narrow.resize(per_block_);
      std::memcpy(block.narrow.data(), data.data() + pos, bytes);
    }
    pos += bytes;
  }
  return Status::Ok();
}

}  // namespace om::store
