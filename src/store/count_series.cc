#include "store/count_series.h"

#include <algorithm>
#include <bit>
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

// For b > 0; no overflow at INT32_MIN.
int32_t FloorDiv(int32_t a, int32_t b) { return a >= 0 ? a / b : (a + 1) / b - 1; }

// The algorithms on points work on either layout; `bucket_of` gives a point's bucket.
template <typename Points, typename BucketOf>
auto LowerBound(Points& points, int32_t bucket, BucketOf bucket_of) {
  return std::lower_bound(points.begin(), points.end(), bucket,
                          [&](const auto& p, int32_t b) { return bucket_of(p) < b; });
}

template <typename Points, typename BucketOf>
uint64_t SumPoints(const Points& points, int32_t from, int32_t to, BucketOf bucket_of) {
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
                             [&](const auto& p, int32_t b) { return bucket_of(p) < b; });
  for (; it != points.end() && bucket_of(*it) < to; ++it) sum += it->count;
  return sum;
}

template <typename Points, typename BucketOf>
void AccumulatePoints(const Points& points, int32_t from, int32_t to, int32_t step,
                      std::vector<uint64_t>& out, BucketOf bucket_of) {
  auto it = std::lower_bound(points.begin(), points.end(), from,
                             [&](const auto& p, int32_t b) { return bucket_of(p) < b; });
  for (; it != points.end() && bucket_of(*it) < to; ++it) {
    size_t i = static_cast<size_t>((bucket_of(*it) - from) / step);
    if (i < out.size()) out[i] += it->count;
  }
}

template <typename Points, typename BucketOf>
void DropPoints(Points& points, int32_t bucket, BucketOf bucket_of) {
  // Most calls drop nothing (the cut moves once a day): answer them without a search.
  if (points.empty() || bucket_of(points.front()) >= bucket) return;
  points.erase(points.begin(), LowerBound(points, bucket, bucket_of));
  if (points.capacity() > 2 * points.size() + 16) points.shrink_to_fit();
}

constexpr int64_t kNarrowMax = 0xFFFF;  // the largest offset and count of a narrow point

// Zero bytes kept after bit-packed data (sealed points, a page of packed days), so that any bit
// in it is read with one unaligned 64-bit load.
constexpr size_t kZeroTail = 8;

// Sealed points are Rice-coded (Golomb coding with a power-of-two parameter; Rice, "Some
// practical universal noiseless coding techniques", JPL 79-22, 1979): a value v is v >> k in
// unary (that many one bits, then a zero bit), then the k low bits of v. Gaps between reports
// to one place are roughly geometric, for which this is near the entropy: a city heard from
// every 200 minutes takes about 10 bits a point, where a varint took 16. A quotient of
// kRiceEscape or more is written as kRiceEscape one bits and the 32-bit value, so that a gap of
// days costs 52 bits, not thousands. Bits are written lowest first.
constexpr unsigned kRiceEscape = 20;
constexpr unsigned kRiceParameterBits = 5;
// The count parameter of a chunk whose counts are all 1 (most places' chunks): no count is
// written, and decoding reads one code a point instead of two. Parameters chosen for values are
// at most kMaxRiceParameter, below it.
constexpr unsigned kCountsAllOne = 31;
constexpr unsigned kMaxRiceParameter = 30;

uint64_t LowBits(uint64_t v, unsigned bits) { return v & ((uint64_t{1} << bits) - 1); }

unsigned RiceBits(uint32_t v, unsigned k) {
  uint32_t q = v >> k;
  return q < kRiceEscape ? q + 1 + k : kRiceEscape + 32;
}

class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}
  // Continues after a partial byte holding `bits` bits (0 to 7) of `byte`.
  BitWriter(std::vector<uint8_t>& out, uint8_t byte, unsigned bits)
      : out_(out), pending_(LowBits(byte, bits)), pending_bits_(bits) {}
  // Writes the low `bits` (at most 32) of v.
  void Put(uint64_t v, unsigned bits) {
    pending_ |= LowBits(v, bits) << pending_bits_;  // pending_bits_ < 32, bits <= 32
    pending_bits_ += bits;
    if (pending_bits_ >= 32) {
      auto word = static_cast<uint32_t>(pending_);
      out_.insert(out_.end(), reinterpret_cast<const uint8_t*>(&word),
                  reinterpret_cast<const uint8_t*>(&word) + 4);
      pending_ >>= 32;
      pending_bits_ -= 32;
    }
  }
  void PutRice(uint32_t v, unsigned k) {
    uint32_t q = v >> k;
    if (q >= kRiceEscape) {
      Put(LowBits(UINT64_MAX, kRiceEscape), kRiceEscape);
      Put(v, 32);
      return;
    }
    Put(LowBits(UINT64_MAX, q), q + 1);  // q ones, then a zero
    Put(v, k);
  }
  // Writes the bits still pending, up to a whole byte; returns the bits written in the last
  // byte (1 to 8), or 8 when nothing was pending.
  unsigned Finish() {
    unsigned last = pending_bits_ % 8 == 0 ? 8 : pending_bits_ % 8;
    for (; pending_bits_ > 0; pending_ >>= 8) {
      out_.push_back(static_cast<uint8_t>(pending_));
      pending_bits_ = pending_bits_ > 8 ? pending_bits_ - 8 : 0;
    }
    pending_ = 0;
    return last;
  }

 private:
  std::vector<uint8_t>& out_;
  uint64_t pending_ = 0;  // bits not yet written, the oldest lowest
  unsigned pending_bits_ = 0;
};

// Reads what BitWriter wrote. The bytes must be followed by kZeroTail readable bytes, so that
// every read is one unaligned 64-bit load.
class BitReader {
 public:
  explicit BitReader(const uint8_t* begin) : begin_(begin) {}
  uint64_t Get(unsigned bits) {
    uint64_t v = LowBits(Peek(), bits);
    bit_ += bits;
    return v;
  }
  [[gnu::always_inline]] uint32_t GetRice(unsigned k) {
    uint64_t window = Peek();
    auto q = static_cast<unsigned>(std::countr_one(window));
    if (q >= kRiceEscape) [[unlikely]] {
      bit_ += kRiceEscape;
      return static_cast<uint32_t>(Get(32));
    }
    bit_ += q + 1 + k;
    return static_cast<uint32_t>(uint64_t{q} << k | LowBits(window >> (q + 1), k));
  }

 private:
  // At least 57 bits from the position (a Rice code takes at most 52).
  [[gnu::always_inline]] uint64_t Peek() const {
    uint64_t word;
    std::memcpy(&word, begin_ + bit_ / 8, 8);
    return word >> (bit_ % 8);
  }

  const uint8_t* begin_;
  size_t bit_ = 0;
};

// The Rice parameter that codes values(0..n-1) in the fewest bits, among those near the bit
// width of their mean (for geometric values the best is within one of log2(mean * ln 2)).
template <typename Values>
unsigned BestRiceParameter(size_t n, Values values) {
  if (n == 0) return 0;
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += values(i);
  auto width = static_cast<unsigned>(std::bit_width(sum / n));
  unsigned best = 0;
  uint64_t best_bits = UINT64_MAX;
  for (unsigned k = std::min(width > 2 ? width - 2 : 0, kMaxRiceParameter);
       k <= std::min(width + 1, kMaxRiceParameter); ++k) {
    uint64_t bits = 0;
    for (size_t i = 0; i < n; ++i) bits += RiceBits(values(i), k);
    if (bits < best_bits) {
      best = k;
      best_bits = bits;
    }
  }
  return best;
}

}  // namespace

SparseSeries::SealedPoints::Header SparseSeries::SealedPoints::header() const {
  Header h;
  std::memcpy(&h, blob_.get(), sizeof(h));
  return h;
}

SparseSeries::SealedPoints::Chunk SparseSeries::SealedPoints::chunk(uint32_t k) const {
  Chunk c;
  std::memcpy(&c, blob_.get() + kChunksAt + size_t{k} * sizeof(Chunk), sizeof(c));
  return c;
}

const uint8_t* SparseSeries::SealedPoints::data() const {
  return blob_.get() + kChunksAt + size_t{header().chunk_count} * sizeof(Chunk);
}

int32_t SparseSeries::SealedPoints::last() const { return empty() ? INT32_MIN : header().last; }

size_t SparseSeries::SealedPoints::MemoryBytes() const {
  if (empty()) return 0;
  Header h = header();
  return kChunksAt + size_t{h.chunk_count} * sizeof(Chunk) + h.data_bytes + kZeroTail;
}

void SparseSeries::SealedPoints::Assign(const Header& h, const std::vector<Chunk>& chunks,
                                        const uint8_t* bytes) {
  auto blob = std::make_unique_for_overwrite<uint8_t[]>(kChunksAt + chunks.size() * sizeof(Chunk) +
                                                        h.data_bytes + kZeroTail);
  std::memcpy(blob.get(), &h, sizeof(h));
  if (!chunks.empty()) {
    std::memcpy(blob.get() + kChunksAt, chunks.data(), chunks.size() * sizeof(Chunk));
  }
  if (h.data_bytes != 0) {
    std::memcpy(blob.get() + kChunksAt + chunks.size() * sizeof(Chunk), bytes, h.data_bytes);
  }
  std::memset(blob.get() + kChunksAt + chunks.size() * sizeof(Chunk) + h.data_bytes, 0, kZeroTail);
  blob_ = std::move(blob);
}

SparseSeries::SealedPoints::Chunk SparseSeries::SealedPoints::EncodeChunk(
    const std::pair<int32_t, uint32_t>* points, size_t n, uint32_t offset,
    std::vector<uint8_t>& out, uint8_t& last_byte_bits) {
  // A chunk's first point is at its first bucket: only the gaps after it are written. Counts
  // are written less one (most are 1), wrapping, so that a count of 0 reads back as 0.
  auto gap = [points](size_t i) {
    return static_cast<uint32_t>(int64_t{points[i + 1].first} - points[i].first);
  };
  auto count_less_one = [points](size_t i) { return points[i].second - 1; };
  const unsigned k_gap = BestRiceParameter(n - 1, gap);
  bool all_one = std::all_of(points, points + n, [](const auto& p) { return p.second == 1; });
  const unsigned k_count = all_one ? kCountsAllOne : BestRiceParameter(n, count_less_one);
  BitWriter writer(out);
  writer.Put(k_gap, kRiceParameterBits);
  writer.Put(k_count, kRiceParameterBits);
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) writer.PutRice(gap(i - 1), k_gap);
    if (!all_one) writer.PutRice(count_less_one(i), k_count);
    total += points[i].second;
  }
  last_byte_bits = static_cast<uint8_t>(writer.Finish());
  return {points[0].first, offset,
          total >= kUnknownTotal ? kUnknownTotal : static_cast<uint32_t>(total)};
}

template <typename It, typename BucketOf>
void SparseSeries::SealedPoints::Append(It first, It last, BucketOf bucket_of) {
  if (first == last) return;
  // Scratch buffers kept between calls, so that the blob is the only allocation a seal makes
  // (temporary ones left the heap fragmented).
  thread_local std::vector<std::pair<int32_t, uint32_t>> points;
  thread_local std::vector<uint8_t> encoded;
  thread_local std::vector<Chunk> new_chunks;
  points.clear();
  encoded.clear();
  new_chunks.clear();
  for (It it = first; it != last; ++it) points.emplace_back(bucket_of(*it), it->count);
  Header h = empty() ? Header{INT32_MIN, INT32_MIN, 0, 0, 8, 0, 0} : header();
  uint32_t kept_chunks = h.chunk_count;
  uint32_t kept_bytes = h.data_bytes;
  size_t placed = 0;  // points[0..placed) went into the last chunk
  uint64_t added_to_last_chunk = 0;
  if (h.chunk_count != 0 && h.points_in_last_chunk < kChunkPoints) {
    const Chunk c = chunk(h.chunk_count - 1);
    BitReader parameters(data() + c.offset);
    const auto k_gap = static_cast<unsigned>(parameters.Get(kRiceParameterBits));
    const auto k_count = static_cast<unsigned>(parameters.Get(kRiceParameterBits));
    size_t room = std::min<size_t>(kChunkPoints - h.points_in_last_chunk, points.size());
    bool counts_fit = k_count != kCountsAllOne ||
                      std::all_of(points.begin(), points.begin() + static_cast<ptrdiff_t>(room),
                                  [](const auto& p) { return p.second == 1; });
    if (h.points_in_last_chunk >= kSettledPoints && counts_fit) {
      // The usual case: the new points continue the last chunk's bits, its partial last byte
      // written again.
      kept_bytes = h.last_byte_bits == 8 ? h.data_bytes : h.data_bytes - 1;
      BitWriter writer(encoded, h.last_byte_bits == 8 ? 0 : data()[h.data_bytes - 1],
                       h.last_byte_bits % 8);
      int32_t previous = h.last;
      for (; placed < room; ++placed) {
        const auto& [bucket, count] = points[placed];
        writer.PutRice(static_cast<uint32_t>(int64_t{bucket} - previous), k_gap);
        if (k_count != kCountsAllOne) writer.PutRice(count - 1, k_count);
        added_to_last_chunk += count;
        previous = bucket;
      }
      h.last_byte_bits = static_cast<uint8_t>(writer.Finish());
      h.points_in_last_chunk = static_cast<uint16_t>(h.points_in_last_chunk + room);
    } else {
      // A chunk of few points is decoded and written again with the new ones: its Rice
      // parameters are chosen from all of them.
      kept_chunks = h.chunk_count - 1;
      kept_bytes = c.offset;
      thread_local std::vector<std::pair<int32_t, uint32_t>> reopened;
      reopened.clear();
      auto keep = [floor = h.floor](int32_t bucket, uint32_t count) {
        if (bucket >= floor) reopened.emplace_back(bucket, count);
        return true;
      };
      DecodeChunk(h, kept_chunks, INT32_MIN, INT32_MAX, keep);
      points.insert(points.begin(), reopened.begin(), reopened.end());
    }
  }
  for (size_t i = placed; i < points.size(); i += kChunkPoints) {
    size_t n = std::min<size_t>(kChunkPoints, points.size() - i);
    new_chunks.push_back(EncodeChunk(&points[i], n,
                                     kept_bytes + static_cast<uint32_t>(encoded.size()), encoded,
                                     h.last_byte_bits));
    h.points_in_last_chunk = static_cast<uint16_t>(n);
  }
  h.last = points.back().first;
  h.chunk_count = kept_chunks + static_cast<uint32_t>(new_chunks.size());
  h.data_bytes = kept_bytes + static_cast<uint32_t>(encoded.size());
  auto blob = std::make_unique_for_overwrite<uint8_t[]>(
      kChunksAt + size_t{h.chunk_count} * sizeof(Chunk) + h.data_bytes + kZeroTail);
  uint8_t* chunks_out = blob.get() + kChunksAt;
  uint8_t* data_out = chunks_out + size_t{h.chunk_count} * sizeof(Chunk);
  std::memcpy(blob.get(), &h, sizeof(h));
  if (kept_chunks != 0) {
    std::memcpy(chunks_out, blob_.get() + kChunksAt, size_t{kept_chunks} * sizeof(Chunk));
    std::memcpy(data_out, data(), kept_bytes);
  }
  if (added_to_last_chunk != 0) {
    uint8_t* at = chunks_out + size_t{kept_chunks - 1} * sizeof(Chunk);
    Chunk c;
    std::memcpy(&c, at, sizeof(c));
    if (c.total != kUnknownTotal) {
      uint64_t total = c.total + added_to_last_chunk;
      c.total = total >= kUnknownTotal ? kUnknownTotal : static_cast<uint32_t>(total);
    }
    std::memcpy(at, &c, sizeof(c));
  }
  std::memcpy(chunks_out + size_t{kept_chunks} * sizeof(Chunk), new_chunks.data(),
              new_chunks.size() * sizeof(Chunk));
  std::memcpy(data_out + kept_bytes, encoded.data(), encoded.size());
  std::memset(data_out + h.data_bytes, 0, kZeroTail);
  blob_ = std::move(blob);
}

uint32_t SparseSeries::SealedPoints::ChunkFrom(const Header& h, int32_t bucket) const {
  uint32_t lo = 0, hi = h.chunk_count;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (chunk(mid).first_bucket <= bucket) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

template <typename F>
bool SparseSeries::SealedPoints::DecodeChunk(const Header& h, uint32_t k, int32_t from, int32_t to,
                                             F& f) const {
  const uint8_t* bytes = data();
  Chunk c = chunk(k);
  BitReader reader(bytes + c.offset);
  const auto k_gap = static_cast<unsigned>(reader.Get(kRiceParameterBits));
  const auto k_count = static_cast<unsigned>(reader.Get(kRiceParameterBits));
  const uint32_t n = k + 1 == h.chunk_count ? h.points_in_last_chunk : kChunkPoints;
  int64_t bucket = c.first_bucket;
  auto decode = [&](auto count_of) {
    for (uint32_t i = 0; i < n; ++i) {
      if (i > 0) bucket += reader.GetRice(k_gap);
      uint32_t count = count_of();
      if (bucket >= to) return false;
      if (bucket >= from && !f(static_cast<int32_t>(bucket), count)) return false;
    }
    return true;
  };
  if (k_count == kCountsAllOne) return decode([] { return 1u; });
  return decode([&] { return static_cast<uint32_t>(reader.GetRice(k_count) + 1); });
}

template <typename F>
void SparseSeries::SealedPoints::ForEachIn(int32_t from, int32_t to, F&& f) const {
  if (empty()) return;
  const Header h = header();
  from = std::max(from, h.floor);
  if (from > h.last || to <= from || to <= chunk(0).first_bucket) return;
  for (uint32_t k = ChunkFrom(h, from); k < h.chunk_count && chunk(k).first_bucket < to; ++k) {
    if (!DecodeChunk(h, k, from, to, f)) return;
  }
}

uint64_t SparseSeries::SealedPoints::Sum(int32_t from, int32_t to) const {
  if (empty()) return 0;
  const Header h = header();
  from = std::max(from, h.floor);
  if (from > h.last || to <= from || to <= chunk(0).first_bucket) return 0;
  uint64_t sum = 0;
  auto add = [&sum](int32_t, uint32_t count) {
    sum += count;
    return true;
  };
  for (uint32_t k = ChunkFrom(h, from); k < h.chunk_count; ++k) {
    Chunk c = chunk(k);
    if (c.first_bucket >= to) break;
    // Every point of chunk k is in [c.first_bucket, the next chunk's first bucket).
    int64_t end = k + 1 < h.chunk_count ? int64_t{chunk(k + 1).first_bucket} : int64_t{h.last} + 1;
    if (c.first_bucket >= from && end <= to && c.total != kUnknownTotal) {
      sum += c.total;
    } else if (!DecodeChunk(h, k, from, to, add)) {
      break;
    }
  }
  return sum;
}

void SparseSeries::SealedPoints::DropBefore(int32_t bucket) {
  if (empty()) return;
  Header h = header();
  h.floor = std::max(h.floor, bucket);
  if (h.last < h.floor) {
    blob_.reset();
    return;
  }
  // Whole chunks whose points are all before the floor: those before the last chunk that starts
  // at or before it.
  uint32_t keep = 0;
  while (keep + 1 < h.chunk_count && chunk(keep + 1).first_bucket <= h.floor) ++keep;
  if (keep == 0) {
    std::memcpy(blob_.get(), &h, sizeof(h));
    return;
  }
  uint32_t cut = chunk(keep).offset;
  std::vector<Chunk> chunks;
  for (uint32_t k = keep; k < h.chunk_count; ++k) {
    Chunk c = chunk(k);
    chunks.push_back({c.first_bucket, c.offset - cut, c.total});
  }
  const uint8_t* bytes = data() + cut;
  h.chunk_count = static_cast<uint32_t>(chunks.size());
  h.data_bytes -= cut;
  Assign(h, chunks, bytes);
}

int32_t SparseSeries::newest_unsealed_bucket() const {
  if (wide_) return wide_->empty() ? INT32_MIN : wide_->back().bucket;
  return narrow_points_.empty() ? INT32_MIN : base_ + narrow_points_.back().offset;
}

int32_t SparseSeries::newest_bucket() const {
  return std::max(newest_unsealed_bucket(), sealed_last_);
}

int32_t SparseSeries::oldest_bucket() const {
  int32_t oldest = WithPoints([](const auto& points, auto bucket_of) {
    return points.empty() ? INT32_MAX : bucket_of(points.front());
  });
  sealed_.ForEachIn(INT32_MIN, oldest, [&oldest](int32_t bucket, uint32_t) {
    oldest = bucket;
    return false;
  });
  return oldest;
}

void SparseSeries::DropFrom(int32_t bucket) {
  if (sealed_last_ >= bucket) {
    // Rare (a snapshot written before minutes were rolled up): the sealed points are encoded
    // again without the dropped ones.
    std::vector<WidePoint> kept;
    sealed_.ForEachIn(INT32_MIN, bucket, [&kept](int32_t b, uint32_t count) {
      kept.push_back({b, count});
      return true;
    });
    sealed_.Clear();
    sealed_.Append(kept.begin(), kept.end(), [](const WidePoint& p) { return p.bucket; });
    sealed_last_ = sealed_.last();
  }
  RemovePoints([&](auto& points, auto bucket_of) {
    points.erase(LowerBound(points, bucket, bucket_of), points.end());
  });
}

void SparseSeries::RollUpBefore(int32_t bucket, int32_t factor, SparseSeries& into) {
  auto add = [&](int32_t b, uint32_t count) {
    into.Add(FloorDiv(b, factor), count);
    return true;
  };
  sealed_.ForEachIn(INT32_MIN, bucket, add);
  WithPoints([&](const auto& points, auto bucket_of) {
    for (auto it = points.begin(); it != points.end() && bucket_of(*it) < bucket; ++it) {
      add(bucket_of(*it), it->count);
    }
  });
  DropBefore(bucket);
}

size_t SparseSeries::MemoryBytes() const {
  size_t bytes = wide_ ? wide_->capacity() * sizeof(WidePoint) : 0;
  if (narrow_points_.capacity() > kInlinePoints) {
    bytes += narrow_points_.capacity() * sizeof(NarrowPoint);
  }
  bytes += sealed_.MemoryBytes();
  return bytes;
}

void SparseSeries::Clear() {
  base_ = 0;
  narrow_points_.clear();
  narrow_points_.shrink_to_fit();
  wide_.reset();
  sealed_.Clear();
  sealed_last_ = INT32_MIN;
}

void SparseSeries::Seal(int32_t bucket) {
  // The unsealed points newer than every sealed one and before `bucket` are appended; a late
  // point for a bucket already sealed stays unsealed (both parts are summed).
  const int32_t after = sealed_last_;
  RemovePoints([&](auto& points, auto bucket_of) {
    auto lo = std::upper_bound(points.begin(), points.end(), after,
                               [&](int32_t b, const auto& p) { return b < bucket_of(p); });
    auto hi = std::lower_bound(lo, points.end(), bucket,
                               [&](const auto& p, int32_t b) { return bucket_of(p) < b; });
    if (lo == hi) return;
    sealed_.Append(lo, hi, bucket_of);
    sealed_last_ = sealed_.last();
    points.erase(lo, hi);
    if (points.capacity() > 2 * points.size() + 16) points.shrink_to_fit();
  });
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
  wide_ = std::make_unique<std::vector<WidePoint>>();
  wide_->reserve(narrow_points_.size() + 1);
  for (const NarrowPoint& p : narrow_points_) {
    wide_->push_back({base_ + p.offset, p.count});
  }
  narrow_points_.clear();
  narrow_points_.shrink_to_fit();
}

bool SparseSeries::TryNarrow() {
  if (!wide_) return true;
  for (const WidePoint& p : *wide_) {
    if (p.count > kNarrowMax) return false;
  }
  if (!wide_->empty() && int64_t{wide_->back().bucket} - wide_->front().bucket > kNarrowMax) {
    return false;
  }
  base_ = wide_->empty() ? 0 : wide_->front().bucket;
  narrow_points_.reserve(wide_->size());
  for (const WidePoint& p : *wide_) {
    narrow_points_.push_back(
        {static_cast<uint16_t>(p.bucket - base_), static_cast<uint16_t>(p.count)});
  }
  wide_.reset();
  return true;
}

bool SparseSeries::AddNarrow(int32_t bucket, uint32_t n) {
  if (!MakeRoomFor(bucket)) return false;
  const auto offset = static_cast<uint16_t>(bucket - base_);
  auto fits = [n](uint32_t count) { return uint64_t{count} + n <= kNarrowMax; };
  auto& points = narrow_points_;
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
  std::vector<WidePoint>& points = *wide_;
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
  uint64_t sum = 0;
  if (from <= sealed_last_) sum = sealed_.Sum(from, to);
  return sum + WithPoints([&](const auto& points, auto bucket_of) {
           return SumPoints(points, from, to, bucket_of);
         });
}

void SparseSeries::AccumulateInto(int32_t from, int32_t to, int32_t step,
                                  std::vector<uint64_t>& out) const {
  if (from <= sealed_last_) {
    sealed_.ForEachIn(from, to, [&](int32_t bucket, uint32_t count) {
      auto i = static_cast<size_t>((bucket - from) / step);
      if (i < out.size()) out[i] += count;
      return true;
    });
  }
  WithPoints([&](const auto& points, auto bucket_of) {
    AccumulatePoints(points, from, to, step, out, bucket_of);
  });
}

void SparseSeries::DropBefore(int32_t bucket) {
  sealed_.DropBefore(bucket);
  sealed_last_ = sealed_.last();
  RemovePoints([&](auto& points, auto bucket_of) { DropPoints(points, bucket, bucket_of); });
}

void SparseSeries::Serialize(std::string& out) const {
  // One sorted list of points, whatever is sealed: a late point beside a sealed one of the same
  // bucket is merged into it.
  std::vector<WidePoint> sealed;
  sealed_.ForEachIn(INT32_MIN, INT32_MAX, [&](int32_t bucket, uint32_t count) {
    sealed.push_back({bucket, count});
    return true;
  });
  std::vector<WidePoint> points;
  WithPoints([&](const auto& unsealed, auto bucket_of) {
    points.reserve(sealed.size() + unsealed.size());
    auto a = sealed.begin();
    auto b = unsealed.begin();
    while (a != sealed.end() || b != unsealed.end()) {
      if (b == unsealed.end() || (a != sealed.end() && a->bucket < bucket_of(*b))) {
        points.push_back(*a++);
      } else if (a == sealed.end() || bucket_of(*b) < a->bucket) {
        points.push_back({bucket_of(*b), b->count});
        ++b;
      } else {
        points.push_back({a->bucket, a->count + b->count});
        ++a;
        ++b;
      }
    }
  });
  PutRaw<uint32_t>(out, static_cast<uint32_t>(points.size()));
  for (const WidePoint& p : points) {
    PutRaw(out, p.bucket);
    PutRaw(out, p.count);
  }
}

Status SparseSeries::Deserialize(std::string_view data, size_t& pos) {
  uint32_t n;
  if (!GetRaw(data, pos, n) || n > (data.size() - pos) / 8) {
    return Status::Corruption("sparse series: bad length");
  }
  narrow_points_.clear();
  narrow_points_.shrink_to_fit();
  sealed_.Clear();
  sealed_last_ = INT32_MIN;
  wide_ = std::make_unique<std::vector<WidePoint>>(n);
  for (WidePoint& p : *wide_) {
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

namespace {

// The counter under `mask` at bit `bit` of a packed day (the page's kZeroTail keeps the load
// inside it).
uint64_t ReadCounter(const uint8_t* bits, size_t bit, uint64_t mask) {
  uint64_t word;
  std::memcpy(&word, bits + bit / 8, 8);
  return (word >> (bit % 8)) & mask;
}

}  // namespace

uint64_t DenseSeries::PackedDays::Day::operator[](size_t i) const {
  return width == 0 ? 0 : ReadCounter(bits, i * width, LowBits(UINT64_MAX, width));
}

uint64_t DenseSeries::PackedDays::Day::Sum(size_t first, size_t last) const {
  if (width == 0) return 0;
  const uint64_t mask = LowBits(UINT64_MAX, width);
  uint64_t sum = 0;
  for (size_t bit = first * width, end = last * width; bit < end; bit += width) {
    sum += ReadCounter(bits, bit, mask);
  }
  return sum;
}

int32_t DenseSeries::PackedDays::PageStart(int32_t day) {
  return FloorDiv(day, kPageDays) * kPageDays;
}

const DenseSeries::PackedDays::Page& DenseSeries::PackedDays::PageOf(int32_t day) const {
  return pages_[static_cast<size_t>((PageStart(day) - pages_.front().first_day) / kPageDays)];
}

size_t DenseSeries::PackedDays::Offset(const Page& page, int32_t day, int32_t per_block) {
  const auto k = static_cast<size_t>(day - page.first_day);
  const size_t mark = k / kMarkDays;
  size_t bits = 0;
  for (size_t i = mark * kMarkDays; i < k; ++i) bits += page.widths[i];
  return (mark == 0 ? 0 : page.marks[mark - 1]) + bits * static_cast<size_t>(per_block) / 8;
}

void DenseSeries::PackedDays::Page::Mark(int32_t per_block) {
  size_t bits = 0;
  for (size_t i = 0; i < kPageDays; ++i) {
    if (i % kMarkDays == 0 && i != 0) {
      marks[i / kMarkDays - 1] = static_cast<uint32_t>(bits * static_cast<size_t>(per_block) / 8);
    }
    bits += widths[i];
  }
}

size_t DenseSeries::PackedDays::MemoryBytes() const {
  size_t bytes = pages_.capacity() * sizeof(Page);
  for (const Page& page : pages_) bytes += page.bytes ? page.size + kZeroTail : 0;
  return bytes;
}

DenseSeries::PackedDays::Day DenseSeries::PackedDays::Get(int32_t day, int32_t per_block) const {
  if (pages_.empty() || day < first_day_ || day > last_day_) return {nullptr, 0};
  const Page& page = PageOf(day);
  uint32_t width = page.widths[static_cast<size_t>(day - page.first_day)];
  if (width == 0) return {nullptr, 0};
  return {page.bytes.get() + Offset(page, day, per_block), width};
}

template <typename F>
void DenseSeries::PackedDays::ForEach(int64_t lo, int64_t hi, int32_t per_block, F&& f) const {
  if (pages_.empty()) return;
  lo = std::max<int64_t>(lo, first_day_);
  hi = std::min<int64_t>(hi, last_day_);
  if (lo > hi) return;
  auto day = static_cast<int32_t>(lo);
  for (auto page = pages_.begin() + (&PageOf(day) - pages_.data()); day <= hi; ++page) {
    size_t offset = Offset(*page, day, per_block);
    for (; day <= hi && day < page->first_day + kPageDays; ++day) {
      uint32_t width = page->widths[static_cast<size_t>(day - page->first_day)];
      if (width != 0) f(day, Day{page->bytes.get() + offset, width});
      offset += size_t{width} * static_cast<size_t>(per_block) / 8;
    }
  }
}

void DenseSeries::PackedDays::Append(int32_t day, const uint64_t* counters, int32_t per_block) {
  uint64_t max = *std::max_element(counters, counters + per_block);
  auto width = static_cast<uint8_t>(std::bit_width(max));
  if (pages_.empty()) first_day_ = day;
  last_day_ = day;
  // Pages for the days between (of zeros), and for this one.
  while (pages_.empty() || pages_.back().first_day + kPageDays <= day) {
    pages_.emplace_back();
    pages_.back().first_day =
        pages_.size() == 1 ? PageStart(day) : pages_[pages_.size() - 2].first_day + kPageDays;
  }
  Page& page = pages_.back();
  page.widths[static_cast<size_t>(day - page.first_day)] = width;
  if (width == 0) return;
  // per_block * width is a multiple of 8 (per_block is 96 or 1440): the day ends on a byte.
  thread_local std::vector<uint8_t> day_bytes;
  day_bytes.clear();
  BitWriter writer(day_bytes);
  for (int32_t i = 0; i < per_block; ++i) writer.Put(counters[i], width);
  writer.Finish();
  auto bytes = std::make_unique_for_overwrite<uint8_t[]>(page.size + day_bytes.size() + kZeroTail);
  if (page.size != 0) std::memcpy(bytes.get(), page.bytes.get(), page.size);
  std::memcpy(bytes.get() + page.size, day_bytes.data(), day_bytes.size());
  std::memset(bytes.get() + page.size + day_bytes.size(), 0, kZeroTail);
  page.size += static_cast<uint32_t>(day_bytes.size());
  page.bytes = std::move(bytes);
  page.Mark(per_block);
}

void DenseSeries::PackedDays::DropBefore(int32_t day, int32_t per_block) {
  if (pages_.empty() || day <= first_day_) return;
  if (day > last_day_) {
    *this = PackedDays();
    return;
  }
  pages_.erase(pages_.begin(), pages_.begin() + (&PageOf(day) - pages_.data()));
  Page& page = pages_.front();
  size_t cut = Offset(page, day, per_block);
  if (cut != 0) {
    auto bytes = std::make_unique_for_overwrite<uint8_t[]>(page.size - cut + kZeroTail);
    std::memcpy(bytes.get(), page.bytes.get() + cut, page.size - cut + kZeroTail);
    page.bytes = std::move(bytes);
    page.size -= static_cast<uint32_t>(cut);
  }
  std::fill(page.widths.begin(), page.widths.begin() + (day - page.first_day), uint8_t{0});
  page.Mark(per_block);
  first_day_ = day;
  ShrinkToFit();
}

std::vector<DenseSeries::Block>::const_iterator DenseSeries::FirstFrom(int32_t block_index) const {
  return std::lower_bound(blocks_.begin(), blocks_.end(), block_index,
                          [](const Block& b, int32_t i) { return b.index < i; });
}

template <typename F>
void DenseSeries::ForEachDay(int32_t first_day, int32_t last_day, F&& f) const {
  auto block = FirstFrom(first_day);
  int64_t day = first_day;
  while (day <= last_day) {
    int64_t next_block =
        block != blocks_.end() && block->index <= last_day ? block->index : int64_t{last_day} + 1;
    // Packed days before the next unpacked block.
    packed_.ForEach(day, next_block - 1, per_block_, f);
    if (next_block > last_day) break;
    std::visit([&](const auto& c) { f(block->index, c.get()); }, block->counters);
    day = next_block + 1;
    ++block;
  }
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

DenseSeries::Block& DenseSeries::BlockFor(int32_t block_index) {
  if (block_index == last_index_) return blocks_[last_block_];
  auto it = blocks_.begin() + (FirstFrom(block_index) - blocks_.cbegin());
  if (it == blocks_.end() || it->index != block_index) {
    // A sealed day counted again is unpacked until the next Seal.
    PackedDays::Day packed = packed_.Get(block_index, per_block_);
    Counters counters;
    if (packed.width <= 8) {
      auto c = std::make_unique<uint8_t[]>(static_cast<size_t>(per_block_));  // zeroed
      for (int32_t i = 0; packed.width != 0 && i < per_block_; ++i) {
        c[i] = static_cast<uint8_t>(packed[i]);
      }
      counters = std::move(c);
    } else {
      auto c = std::make_unique<uint32_t[]>(static_cast<size_t>(per_block_));
      for (int32_t i = 0; i < per_block_; ++i) c[i] = static_cast<uint32_t>(packed[i]);
      counters = std::move(c);
    }
    it = blocks_.insert(it, Block{block_index, std::move(counters)});
  }
  last_index_ = block_index;
  last_block_ = static_cast<size_t>(it - blocks_.begin());
  return *it;
}

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
  int32_t i = bucket - b * per_block_;
  auto it = FirstFrom(b);
  if (it != blocks_.end() && it->index == b) return it->Get(i);
  return packed_.Get(b, per_block_)[static_cast<size_t>(i)];
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
// hours' zero buckets made a per-bucket `if` mispredict) and no division per bucket. `counts` is
// an array of counters or a packed day.
// Not inlined: inlined into the walk over days and pages, its loop over a day's counters ran
// short of registers and read its bit position and mask from the stack for every counter (a cold
// baseline tick took 1.3 times as long).
template <typename Counts>
[[gnu::noinline]] void AddBuckets(const Counts& counts, int32_t base, int32_t lo, int32_t hi,
                                  int32_t from, int32_t step, std::vector<uint64_t>& out) {
  int32_t bucket = lo;
  while (bucket < hi) {
    auto k = static_cast<size_t>((bucket - from) / step);
    if (k >= out.size()) return;
    int32_t end = std::min(hi, from + static_cast<int32_t>(k + 1) * step);
    uint64_t sum = 0;
    if constexpr (requires { counts.Sum(0, 0); }) {
      sum = counts.Sum(static_cast<size_t>(bucket - base), static_cast<size_t>(end - base));
      bucket = end;
    } else {
      for (; bucket < end; ++bucket) sum += counts[bucket - base];
    }
    out[k] += sum;
  }
}

}  // namespace

void DenseSeries::AccumulateInto(int32_t from, int32_t to, int32_t step,
                                 std::vector<uint64_t>& out) const {
  if (to <= from) return;
  ForEachDay(BlockOf(from), BlockOf(to - 1), [&](int32_t day, const auto& counts) {
    int32_t base = day * per_block_;
    AddBuckets(counts, base, std::max(from, base), std::min(to, base + per_block_), from, step,
               out);
  });
}

void DenseSeries::DropBefore(int32_t bucket) {
  // Whole blocks only: a partly expired day stays until all of it is older than the horizon.
  int32_t day = BlockOf(bucket);
  blocks_.erase(blocks_.begin(), blocks_.begin() + (FirstFrom(day) - blocks_.cbegin()));
  packed_.DropBefore(day, per_block_);
  last_index_ = INT32_MIN;
  last_block_ = 0;
}

void DenseSeries::Seal(int32_t bucket) {
  const int32_t day = BlockOf(bucket);
  auto end = FirstFrom(day);
  if (end == blocks_.cbegin()) return;
  std::vector<uint64_t> counters(static_cast<size_t>(per_block_));
  auto append = [&](PackedDays& to, int32_t d, const auto& counts) {
    for (int32_t i = 0; i < per_block_; ++i) counters[static_cast<size_t>(i)] = counts[i];
    to.Append(d, counters.data(), per_block_);
  };
  if (packed_.days() == 0 || blocks_.front().index > packed_.last_day()) {
    // The usual case: days newer than every sealed one are appended.
    for (auto it = blocks_.cbegin(); it != end; ++it) {
      std::visit([&](const auto& c) { append(packed_, it->index, c.get()); }, it->counters);
    }
  } else {
    // A sealed day was counted again: pack every day again, the unpacked copy superseding.
    PackedDays repacked;
    int32_t first = std::min(packed_.first_day(), blocks_.front().index);
    ForEachDay(first, day - 1, [&](int32_t d, const auto& c) { append(repacked, d, c); });
    packed_ = std::move(repacked);
  }
  blocks_.erase(blocks_.cbegin(), end);
  // After a load every day was unpacked; a day or two stay.
  if (blocks_.capacity() > 2 * blocks_.size() + 4) blocks_.shrink_to_fit();
  packed_.ShrinkToFit();
  last_index_ = INT32_MIN;
  last_block_ = 0;
}

int32_t DenseSeries::newest_bucket() const {
  int32_t newest_day = INT32_MIN, oldest_day = INT32_MAX;
  if (!blocks_.empty()) {
    newest_day = blocks_.back().index;
    oldest_day = blocks_.front().index;
  }
  if (packed_.days() > 0) {
    newest_day = std::max(newest_day, packed_.last_day());
    oldest_day = std::min(oldest_day, packed_.first_day());
  }
  int32_t newest = INT32_MIN;
  for (int64_t day = newest_day; day >= oldest_day && newest == INT32_MIN; --day) {
    auto d = static_cast<int32_t>(day);
    ForEachDay(d, d, [&](int32_t, const auto& counts) {
      for (int32_t i = per_block_ - 1; i >= 0 && newest == INT32_MIN; --i) {
        if (counts[i] != 0) newest = d * per_block_ + i;
      }
    });
  }
  return newest;
}

int32_t DenseSeries::oldest_bucket() const {
  int32_t oldest = INT32_MAX;
  // The first day that holds a count has a non-zero counter.
  ForEachDay(INT32_MIN, INT32_MAX, [&](int32_t day, const auto& counts) {
    for (int32_t i = 0; i < per_block_ && oldest == INT32_MAX; ++i) {
      if (counts[i] != 0) oldest = day * per_block_ + i;
    }
  });
  return oldest;
}

void DenseSeries::CopyInto(SparseSeries& out, int32_t from, int32_t to) const {
  if (to <= from) return;
  ForEachDay(BlockOf(from), BlockOf(to - 1), [&](int32_t day, const auto& counts) {
    for (int32_t i = 0; i < per_block_; ++i) {
      int32_t bucket = day * per_block_ + i;
      if (counts[i] != 0 && bucket >= from && bucket < to) {
        out.Add(bucket, static_cast<uint32_t>(counts[i]));
      }
    }
  });
}

size_t DenseSeries::MemoryBytes() const {
  size_t bytes = blocks_.capacity() * sizeof(Block) + packed_.MemoryBytes();
  for (const Block& block : blocks_) {
    size_t width = std::visit([](const auto& c) { return sizeof(c[0]); }, block.counters);
    bytes += 16 + static_cast<size_t>(per_block_) * width;  // 16: the allocation's header
  }
  return bytes;
}

void DenseSeries::Serialize(std::string& out) const {
  // The on-disk form has 16-bit and 32-bit blocks only: an 8-bit or packed day is written as 16
  // bits unless a counter needs 32.
  PutRaw<int32_t>(out, per_block_);
  size_t count_at = out.size();
  PutRaw<uint32_t>(out, 0);  // the number of blocks, set below
  uint32_t blocks = 0;
  ForEachDay(INT32_MIN, INT32_MAX, [&](int32_t day, const auto& c) {
    ++blocks;
    PutRaw(out, day);
    uint64_t max = 0;
    for (int32_t i = 0; i < per_block_; ++i) max = std::max<uint64_t>(max, c[i]);
    bool wide = max > std::numeric_limits<uint16_t>::max();
    out.push_back(wide ? 1 : 0);
    for (int32_t i = 0; i < per_block_; ++i) {
      if (wide) {
        PutRaw<uint32_t>(out, static_cast<uint32_t>(c[i]));
      } else {
        PutRaw<uint16_t>(out, static_cast<uint16_t>(c[i]));
      }
    }
  });
  std::memcpy(out.data() + count_at, &blocks, 4);
}

Status DenseSeries::Deserialize(std::string_view data, size_t& pos) {
  int32_t per_block;
  uint32_t n;
  if (!GetRaw(data, pos, per_block) || per_block != per_block_ || !GetRaw(data, pos, n)) {
    return Status::Corruption("dense series: bad header");
  }
  blocks_.clear();
  packed_ = PackedDays();
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
