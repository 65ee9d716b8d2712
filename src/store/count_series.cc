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

// The algorithms on points work on either layout; `bucket_of` gives a point's bucket.
template <typename Point, typename BucketOf>
auto LowerBound(std::vector<Point>& points, int32_t bucket, BucketOf bucket_of) {
  return std::lower_bound(points.begin(), points.end(), bucket,
                          [&](const Point& p, int32_t b) { return bucket_of(p) < b; });
}

template <typename Point, typename BucketOf>
uint64_t SumPoints(const std::vector<Point>& points, int32_t from, int32_t to, BucketOf bucket_of) {
  // Most places of a service had no report in a recent window: answered without a search (the
  // detector's metro scan asks every city of a large service every 5 minutes).
  if (points.empty() || bucket_of(points.back()) < from || bucket_of(points.front()) >= to) {
    return 0;
  }
  uint64_t sum = 0;
  if (bucket_of(points.back()) < to) {
    // A window that reaches the newest point, as the detector's are: walk back from the end, a
    // few points in cache instead of a binary search over days of them.
    for (auto it = points.rbegin(); it != points.rend() && bucket_of(*it) >= from; ++it) {
      sum += it->count;
    }
    return sum;
  }
  auto it = std::lower_bound(points.begin(), points.end(), from,
                             [&](const Point& p, int32_t b) { return bucket_of(p) < b; });
  for (; it != points.end() && bucket_of(*it) < to; ++it) sum += it->count;
  return sum;
}

template <typename Point, typename BucketOf>
void AccumulatePoints(const std::vector<Point>& points, int32_t from, int32_t to, int32_t step,
                      std::vector<uint64_t>& out, BucketOf bucket_of) {
  auto it = std::lower_bound(points.begin(), points.end(), from,
                             [&](const Point& p, int32_t b) { return bucket_of(p) < b; });
  for (; it != points.end() && bucket_of(*it) < to; ++it) {
    size_t i = static_cast<size_t>((bucket_of(*it) - from) / step);
    if (i < out.size()) out[i] += it->count;
  }
}

template <typename Point, typename BucketOf>
void DropPoints(std::vector<Point>& points, int32_t bucket, BucketOf bucket_of) {
  // Most calls drop nothing (the cut moves once a day): answer them without a search.
  if (points.empty() || bucket_of(points.front()) >= bucket) return;
  points.erase(points.begin(), LowerBound(points, bucket, bucket_of));
  if (points.capacity() > 2 * points.size() + 16) points.shrink_to_fit();
}

constexpr int64_t kNarrowMax = 0xFFFF;  // the largest offset and count of a narrow point

}  // namespace

int32_t SparseSeries::newest_bucket() const {
  if (wide_) return wide_points_.empty() ? INT32_MIN : wide_points_.back().bucket;
  return narrow_points_.empty() ? INT32_MIN : base_ + narrow_points_.back().offset;
}

bool SparseSeries::MakeRoomFor(int32_t bucket) {
  if (narrow_points_.empty()) {
    base_ = bucket;
    return true;
  }
  int64_t offset = int64_t{bucket} - base_;
  if (offset >= 0 && offset <= kNarrowMax) return true;
  int64_t lo = std::min<int64_t>(bucket, base_ + narrow_points_.front().offset);
  int64_t hi = std::max<int64_t>(bucket, base_ + narrow_points_.back().offset);
  if (hi - lo > kNarrowMax) return false;
  // Re-base at the oldest bucket: every offset stays within 16 bits (checked just above).
  int64_t shift = base_ - lo;
  for (NarrowPoint& p : narrow_points_) p.offset = static_cast<uint16_t>(p.offset + shift);
  base_ = static_cast<int32_t>(lo);
  return true;
}

void SparseSeries::Widen() {
  wide_points_.reserve(narrow_points_.size() + 1);
  for (const NarrowPoint& p : narrow_points_) {
    wide_points_.push_back({base_ + p.offset, p.count});
  }
  std::vector<NarrowPoint>().swap(narrow_points_);
  wide_ = true;
}

bool SparseSeries::TryNarrow() {
  if (!wide_) return true;
  for (const WidePoint& p : wide_points_) {
    if (p.count > kNarrowMax) return false;
  }
  if (!wide_points_.empty() &&
      int64_t{wide_points_.back().bucket} - wide_points_.front().bucket > kNarrowMax) {
    return false;
  }
  base_ = wide_points_.empty() ? 0 : wide_points_.front().bucket;
  narrow_points_.reserve(wide_points_.size());
  for (const WidePoint& p : wide_points_) {
    narrow_points_.push_back(
        {static_cast<uint16_t>(p.bucket - base_), static_cast<uint16_t>(p.count)});
  }
  std::vector<WidePoint>().swap(wide_points_);
  wide_ = false;
  return true;
}

bool SparseSeries::AddNarrow(int32_t bucket, uint32_t n) {
  if (!MakeRoomFor(bucket)) return false;
  const auto offset = static_cast<uint16_t>(bucket - base_);
  auto fits = [n](uint32_t count) { return uint64_t{count} + n <= kNarrowMax; };
  std::vector<NarrowPoint>& points = narrow_points_;
  // Reports arrive nearly in time order, so the common case is the last point or a new last one.
  if (!points.empty() && points.back().offset == offset) {
    if (!fits(points.back().count)) return false;
    points.back().count = static_cast<uint16_t>(points.back().count + n);
    return true;
  }
  if (!fits(0)) return false;
  if (points.empty() || points.back().offset < offset) {
    points.push_back({offset, static_cast<uint16_t>(n)});
    return true;
  }
  auto it = std::lower_bound(points.begin(), points.end(), offset,
                             [](const NarrowPoint& p, uint16_t o) { return p.offset < o; });
  if (it != points.end() && it->offset == offset) {
    if (!fits(it->count)) return false;
    it->count = static_cast<uint16_t>(it->count + n);
  } else {
    points.insert(it, {offset, static_cast<uint16_t>(n)});
  }
  return true;
}

void SparseSeries::Add(int32_t bucket, uint32_t n) {
  if (!wide_) {
    if (AddNarrow(bucket, n)) return;
    Widen();  // nothing was added: the wide layout takes the whole of `n`
  }
  std::vector<WidePoint>& points = wide_points_;
  if (!points.empty() && points.back().bucket == bucket) {
    points.back().count += n;
    return;
  }
  if (points.empty() || points.back().bucket < bucket) {
    points.push_back({bucket, n});
    return;
  }
  auto it = LowerBound(points, bucket, [](const WidePoint& p) { return p.bucket; });
  if (it != points.end() && it->bucket == bucket) {
    it->count += n;
  } else {
    points.insert(it, {bucket, n});
  }
}

uint64_t SparseSeries::Sum(int32_t from, int32_t to) const {
  return WithPoints(
      [&](const auto& points, auto bucket_of) { return SumPoints(points, from, to, bucket_of); });
}

void SparseSeries::AccumulateInto(int32_t from, int32_t to, int32_t step,
                                  std::vector<uint64_t>& out) const {
  WithPoints([&](const auto& points, auto bucket_of) {
    AccumulatePoints(points, from, to, step, out, bucket_of);
  });
}

void SparseSeries::DropBefore(int32_t bucket) {
  if (wide_) {
    DropPoints(wide_points_, bucket, [](const WidePoint& p) { return p.bucket; });
    // What made the series wide (an old report, a huge count) may be gone with the old points.
    TryNarrow();
  } else {
    const int32_t base = base_;
    DropPoints(narrow_points_, bucket, [base](const NarrowPoint& p) { return base + p.offset; });
  }
}

void SparseSeries::Serialize(std::string& out) const {
  if (wide_) {
    PutRaw<uint32_t>(out, static_cast<uint32_t>(wide_points_.size()));
    for (const WidePoint& p : wide_points_) {
      PutRaw(out, p.bucket);
      PutRaw(out, p.count);
    }
    return;
  }
  PutRaw<uint32_t>(out, static_cast<uint32_t>(narrow_points_.size()));
  for (const NarrowPoint& p : narrow_points_) {
    PutRaw<int32_t>(out, base_ + p.offset);
    PutRaw<uint32_t>(out, p.count);
  }
}

Status SparseSeries::Deserialize(std::string_view data, size_t& pos) {
  uint32_t n;
  if (!GetRaw(data, pos, n) || n > (data.size() - pos) / 8) {
    return Status::Corruption("sparse series: bad length");
  }
  std::vector<NarrowPoint>().swap(narrow_points_);
  wide_ = true;
  wide_points_.resize(n);
  for (WidePoint& p : wide_points_) {
    if (!GetRaw(data, pos, p.bucket) || !GetRaw(data, pos, p.count)) {
      return Status::Corruption("sparse series: truncated");
    }
  }
  TryNarrow();
  return Status::Ok();
}

int32_t DenseSeries::BlockOf(int32_t bucket) const { return FloorDiv(bucket, per_block_); }

uint64_t DenseSeries::Block::Get(int32_t i) const {
  return std::visit([i](const auto& c) -> uint64_t { return c[i]; }, counters);
}

std::vector<DenseSeries::Block>::const_iterator DenseSeries::FirstFrom(int32_t block_index) const {
  return std::lower_bound(blocks_.begin(), blocks_.end(), block_index,
                          [](const Block& b, int32_t i) { return b.index < i; });
}

DenseSeries::Block& DenseSeries::BlockFor(int32_t block_index) {
  if (block_index == last_index_) return blocks_[last_block_];
  auto it = blocks_.begin() + (FirstFrom(block_index) - blocks_.cbegin());
  if (it == blocks_.end() || it->index != block_index) {
    auto counters = std::make_unique<uint8_t[]>(static_cast<size_t>(per_block_));  // zeroed
    it = blocks_.insert(it, Block{block_index, std::move(counters)});
  }
  last_index_ = block_index;
  last_block_ = static_cast<size_t>(it - blocks_.begin());
  return *it;
}

namespace {

// Copies `n` counters into an array of another width (wider, or narrower when they fit).
template <typename To, typename From>
std::unique_ptr<To[]> CopyCounters(const From* from, int32_t n) {
  auto to = std::make_unique<To[]>(static_cast<size_t>(n));
  std::copy(from, from + n, to.get());
  return to;
}

}  // namespace

template <typename T, typename Wider>
bool DenseSeries::AddWithin(Counters& counters, int32_t i, uint32_t n) const {
  auto* narrow = std::get_if<std::unique_ptr<T[]>>(&counters);
  if (narrow == nullptr) return false;
  uint64_t v = uint64_t{(*narrow)[i]} + n;
  if (v <= std::numeric_limits<T>::max()) {
    (*narrow)[i] = static_cast<T>(v);
    return true;
  }
  counters = CopyCounters<Wider>(narrow->get(), per_block_);
  return false;
}

void DenseSeries::Add(int32_t bucket, uint32_t n) {
  int32_t b = BlockOf(bucket);
  int32_t i = bucket - b * per_block_;
  Counters& counters = BlockFor(b).counters;
  if (AddWithin<uint8_t, uint16_t>(counters, i, n)) return;
  if (AddWithin<uint16_t, uint32_t>(counters, i, n)) return;
  std::get<std::unique_ptr<uint32_t[]>>(counters)[i] += n;
}

uint64_t DenseSeries::Get(int32_t bucket) const {
  int32_t b = BlockOf(bucket);
  auto it = FirstFrom(b);
  return it == blocks_.end() || it->index != b ? 0 : it->Get(bucket - b * per_block_);
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
  for (auto it = FirstFrom(BlockOf(from)); it != blocks_.end(); ++it) {
    int32_t base = it->index * per_block_;
    if (base >= to) break;
    int32_t lo = std::max(from, base), hi = std::min(to, base + per_block_);
    std::visit([&](const auto& c) { AddBuckets(c.get(), base, lo, hi, from, step, out); },
               it->counters);
  }
}

void DenseSeries::DropBefore(int32_t bucket) {
  // Whole blocks only: a partly expired day stays until all of it is older than the horizon.
  blocks_.erase(blocks_.begin(), blocks_.begin() + (FirstFrom(BlockOf(bucket)) - blocks_.cbegin()));
  last_index_ = INT32_MIN;
  last_block_ = 0;
}

size_t DenseSeries::MemoryBytes() const {
  size_t bytes = blocks_.capacity() * sizeof(Block);
  for (const Block& block : blocks_) {
    size_t width = std::visit([](const auto& c) { return sizeof(c[0]); }, block.counters);
    bytes += 16 + static_cast<size_t>(per_block_) * width;  // 16: the allocation's header
  }
  return bytes;
}

void DenseSeries::Serialize(std::string& out) const {
  // The on-disk form has 16-bit and 32-bit blocks only: an 8-bit block is written as 16.
  PutRaw<int32_t>(out, per_block_);
  PutRaw<uint32_t>(out, static_cast<uint32_t>(blocks_.size()));
  for (const Block& block : blocks_) {
    PutRaw(out, block.index);
    if (const auto* wide = std::get_if<std::unique_ptr<uint32_t[]>>(&block.counters)) {
      out.push_back(1);
      out.append(reinterpret_cast<const char*>(wide->get()), static_cast<size_t>(per_block_) * 4);
    } else {
      out.push_back(0);
      for (int32_t i = 0; i < per_block_; ++i) {
        PutRaw<uint16_t>(out, static_cast<uint16_t>(block.Get(i)));
      }
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
  last_block_ = 0;
  const auto per = static_cast<size_t>(per_block_);
  for (uint32_t k = 0; k < n; ++k) {
    int32_t index;
    uint8_t wide;
    if (!GetRaw(data, pos, index) || !GetRaw(data, pos, wide) || wide > 1) {
      return Status::Corruption("dense series: bad block header");
    }
    if (!blocks_.empty() && index <= blocks_.back().index) {
      return Status::Corruption("dense series: blocks out of order");
    }
    size_t bytes = per * (wide ? 4 : 2);
    if (data.size() - pos < bytes) return Status::Corruption("dense series: truncated block");
    Counters counters;
    if (wide) {
      auto c = std::make_unique<uint32_t[]>(per);
      std::memcpy(c.get(), data.data() + pos, bytes);
      counters = std::move(c);
    } else {
      auto c = std::make_unique<uint16_t[]>(per);
      std::memcpy(c.get(), data.data() + pos, bytes);
      // Read back as narrow as it was kept.
      if (std::all_of(c.get(), c.get() + per,
                      [](uint16_t v) { return v <= std::numeric_limits<uint8_t>::max(); })) {
        counters = CopyCounters<uint8_t>(c.get(), per_block_);
      } else {
        counters = std::move(c);
      }
    }
    blocks_.push_back(Block{index, std::move(counters)});
    pos += bytes;
  }
  return Status::Ok();
}

}  // namespace om::store
