#pragma once
// Count series: how many reports fell in each time bucket (a minute or a quarter hour), in two
// layouts chosen by density.
//
//  - DenseSeries keeps one block per day of counters as narrow as its counts allow: 8 bits, then
//    16, then 32 (a block is widened the first time a counter would overflow). Used for a
//    service's total, which has a report in most buckets of a busy service: 1 or 2 bytes per
//    bucket. Sealed days (Seal) are bit-packed at the width of their largest counter, in pages of
//    32 days: a quiet service's minutes take 1 or 2 bits, a year of quarter hours counting up to
//    20 takes 5.
//  - SparseSeries keeps sorted (bucket, count) pairs, 4 bytes per non-empty bucket while the
//    series spans at most 65,536 buckets and no count passes 65,535 (a 16-bit offset from the
//    series' base bucket and a 16-bit count), else 8. Used per place and per problem type, where
//    most buckets are empty. Retention keeps a series within the narrow span (14 days of minutes
//    are 20,160 buckets; 400 days of quarters 38,400); an import of old reports may widen one
//    until it is pruned. Sealed points (Seal) are delta- and Rice-coded, a few bits each.
//
// Seal is for buckets that rarely change any more: Aggregates seals what is more than 4 hours
// older than a service's newest report every 6 hours of its reports, and at each daily prune. A
// report for a sealed bucket is still counted (a sealed day of a DenseSeries is unpacked
// again until the next Seal; a SparseSeries keeps such a point among its unsealed ones), so
// sealing changes memory and time, never an answer.
//
// The narrow layouts are for memory: a year of history for 33,000 services is the target
// (docs/performance.md#memory). The on-disk form (Serialize) is the same for every layout.
//
// Buckets are int32 indexes (minutes or quarters since the epoch). Both types are plain values,
// not thread-safe; the owner (Aggregates) guards them.

#include <array>
#include <climits>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <absl/container/inlined_vector.h>

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
  // Removes buckets >= `bucket`.
  void DropFrom(int32_t bucket);
  // Adds each bucket < `bucket` to `into` at bucket / factor (rounded down), then removes them:
  // minutes rolled up into quarter hours as they expire.
  void RollUpBefore(int32_t bucket, int32_t factor, SparseSeries& into);
  // Encodes the points before `bucket` compactly (see the header comment).
  void Seal(int32_t bucket);
  // Forgets every point and frees their memory.
  void Clear();
  bool empty() const {
    return sealed_.empty() && (wide_ ? wide_->empty() : narrow_points_.empty());
  }
  // The newest bucket with a count; INT32_MIN when empty.
  int32_t newest_bucket() const;
  // The oldest bucket with a count; INT32_MAX when empty.
  int32_t oldest_bucket() const;
  // Whether the points take 8 bytes each (see the header comment); for tests.
  bool wide() const { return wide_ != nullptr; }
  size_t MemoryBytes() const;

  void Serialize(std::string& out) const;
  // Reads what Serialize wrote from data[pos...], advancing pos. kCorruption on bad data.
  Status Deserialize(std::string_view data, size_t& pos);

 private:
  struct WidePoint {
    int32_t bucket;
    uint32_t count;
  };
  struct NarrowPoint {
    uint16_t offset;  // bucket - base_
    uint16_t count;
  };
  // Adds in the narrow layout; false (nothing added) when `bucket` or the count does not fit.
  bool AddNarrow(int32_t bucket, uint32_t n);
  // Moves every point to the wide layout.
  void Widen();
  // Moves every point back to the narrow layout when they fit; false when they do not.
  bool TryNarrow();
  // Calls f(points, bucket_of) on the layout in use; bucket_of(point) gives a point's bucket.
  template <typename F>
  decltype(auto) WithPoints(F&& f) const {
    if (wide_) return f(*wide_, [](const WidePoint& p) { return p.bucket; });
    const int32_t base = base_;
    return f(narrow_points_, [base](const NarrowPoint& p) { return base + p.offset; });
  }
  // The same for a change that removes points: afterwards a wide series narrows again when what
  // made it wide (an old report, a huge count) is gone.
  template <typename F>
  void RemovePoints(F&& f) {
    if (wide_) {
      f(*wide_, [](const WidePoint& p) { return p.bucket; });
      TryNarrow();
    } else {
      const int32_t base = base_;
      f(narrow_points_, [base](const NarrowPoint& p) { return base + p.offset; });
    }
  }
  // Re-bases the narrow points so that `bucket` fits beside them; false when the span is too
  // wide for 16 bits.
  bool MakeRoomFor(int32_t bucket);

  // The unsealed points' newest bucket; INT32_MIN when there is none.
  int32_t newest_unsealed_bucket() const;

  // Sealed points, Rice-coded in chunks of kChunkPoints: a chunk starts at a byte with its two
  // Rice parameters (5 bits each, chosen for its points), then per point the distance from the
  // previous point's bucket (none for the first, which is at the chunk's first bucket) and its
  // count less one. A window decodes from the chunk that holds its start. Append continues the
  // last chunk with its parameters, or writes it again when it held few points. All of it is one
  // allocation (a header, the chunks' first buckets, offsets and sums, then the bytes), made again
  // at each Append: three allocations a series had cost more than the points of most places.
  class SealedPoints {
   public:
    // A window decodes from the start of the chunk that holds its first bucket: chunks of 64
    // points made a backtest 1.04 times as long as with varints, chunks of 128 1.12 times, for
    // 3% more memory (the chunks' index).
    static constexpr uint32_t kChunkPoints = 64;
    bool empty() const { return blob_ == nullptr; }
    int32_t last() const;  // the newest sealed bucket; INT32_MIN when empty
    // Appends the points [first, last), oldest first, each newer than last(); bucket_of(point)
    // gives a point's bucket.
    template <typename It, typename BucketOf>
    void Append(It first, It last, BucketOf bucket_of);
    // Calls f(bucket, count) for each sealed point in [from, to), oldest first, until f returns
    // false.
    template <typename F>
    void ForEachIn(int32_t from, int32_t to, F&& f) const;
    // The sum of the counts in [from, to).
    uint64_t Sum(int32_t from, int32_t to) const;
    void DropBefore(int32_t bucket);
    void Clear() { blob_.reset(); }
    size_t MemoryBytes() const;

   private:
    struct Header {
      int32_t floor;  // buckets before it are dropped (the first chunk may still hold some)
      int32_t last;
      uint32_t chunk_count;
      uint16_t points_in_last_chunk;
      uint8_t last_byte_bits;  // of the data's last byte, the bits written (1 to 8)
      uint8_t unused;
      uint32_t data_bytes;
    };
    struct Chunk {
      int32_t first_bucket;
      uint32_t offset;  // in the data bytes
      // The sum of its counts (kUnknownTotal past 32 bits): a window over days of a place adds
      // whole chunks without decoding them.
      uint32_t total;
    };
    static constexpr uint32_t kUnknownTotal = UINT32_MAX;
    static constexpr size_t kChunksAt = sizeof(Header);
    Header header() const;
    Chunk chunk(uint32_t k) const;
    // The last chunk that starts at or before `bucket` (0 when none does).
    uint32_t ChunkFrom(const Header& h, int32_t bucket) const;
    // Calls f(bucket, count) for chunk k's points in [from, to); false when f or `to` stopped it.
    template <typename F>
    bool DecodeChunk(const Header& h, uint32_t k, int32_t from, int32_t to, F& f) const;
    const uint8_t* data() const;
    // Rice-codes points[0..n) as one chunk at `offset` of the data bytes, appending to `out`;
    // sets `last_byte_bits`.
    static Chunk EncodeChunk(const std::pair<int32_t, uint32_t>* points, size_t n, uint32_t offset,
                             std::vector<uint8_t>& out, uint8_t& last_byte_bits);
    // A last chunk with at least this many points keeps its Rice parameters for the points
    // appended to it; one with fewer is written again with them.
    static constexpr uint32_t kSettledPoints = 32;
    // Replaces the blob with `header`, `chunks` and `bytes`.
    void Assign(const Header& header, const std::vector<Chunk>& chunks, const uint8_t* bytes);

    std::unique_ptr<uint8_t[]> blob_;
  };

  int32_t base_ = 0;  // the bucket of offset 0 in the narrow layout
  // sealed_.last(), kept beside the points: most windows end before the sealed points or start
  // after them, and are answered without reading the sealed points' allocation (the metro scan
  // sums every city of a large service every 5 minutes).
  int32_t sealed_last_ = INT32_MIN;
  // Most places have a point or two since their last Seal: those are kept without an allocation.
  static constexpr size_t kInlinePoints = 4;
  absl::InlinedVector<NarrowPoint, kInlinePoints> narrow_points_;
  // Points of a series outside the narrow layout (see the header comment); null while narrow,
  // as nearly every series is.
  std::unique_ptr<std::vector<WidePoint>> wide_;
  SealedPoints sealed_;
};

class DenseSeries {
 public:
  // `buckets_per_block` is the number of buckets per day: 1440 for minutes, 96 for quarters.
  explicit DenseSeries(int32_t buckets_per_block) : per_block_(buckets_per_block) {}
  DenseSeries(DenseSeries&& o) noexcept
      : per_block_(o.per_block_), blocks_(std::move(o.blocks_)), packed_(std::move(o.packed_)) {}
  DenseSeries& operator=(DenseSeries&& o) noexcept {
    per_block_ = o.per_block_;
    blocks_ = std::move(o.blocks_);
    packed_ = std::move(o.packed_);
    last_index_ = INT32_MIN;
    last_block_ = 0;
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
  // Bit-packs the days that end before `bucket`'s day begins (see the header comment).
  void Seal(int32_t bucket);
  bool empty() const { return blocks_.empty() && packed_.days() == 0; }
  // The newest bucket with a count; INT32_MIN when there is none.
  int32_t newest_bucket() const;
  // The oldest bucket with a count; INT32_MAX when there is none.
  int32_t oldest_bucket() const;
  // Adds every non-zero bucket in [from, to) to `out`.
  void CopyInto(SparseSeries& out, int32_t from, int32_t to) const;
  // Days held bit-packed; for tests.
  int32_t sealed_days() const { return packed_.days(); }
  size_t MemoryBytes() const;

  void Serialize(std::string& out) const;
  Status Deserialize(std::string_view data, size_t& pos);

 private:
  // One day of counters, in one allocation of the narrowest width that holds them all. A year of
  // quarter-hour days is 365 blocks a service: a map node and three vectors per day had cost
  // more than the counters.
  using Counters = std::variant<std::unique_ptr<uint8_t[]>, std::unique_ptr<uint16_t[]>,
                                std::unique_ptr<uint32_t[]>>;
  struct Block {
    int32_t index;  // the day: bucket / per_block_
    Counters counters;
    uint64_t Get(int32_t i) const;
  };
  int32_t BlockOf(int32_t bucket) const;
  // The block of day `block_index`, created (zeroed, 8-bit) when missing.
  Block& BlockFor(int32_t block_index);
  // Adds `n` to counter `i` when the block's counters are of type T and the sum fits; when it
  // does not fit, widens the block to Wider and returns false, leaving the add to the caller.
  template <typename T, typename Wider>
  bool AddWithin(Counters& counters, int32_t i, uint32_t n) const;
  // The first block whose day is >= `block_index`.
  std::vector<Block>::const_iterator FirstFrom(int32_t block_index) const;
  // Calls f(day, counters) for each day in [first_day, last_day] that holds counts, oldest first,
  // where counters[i] is the day's i-th counter: an unpacked block where there is one (it
  // supersedes a packed copy of the same day), else the packed day.
  template <typename F>
  void ForEachDay(int32_t first_day, int32_t last_day, F&& f) const;

  // Sealed days, bit-packed, each day's counters `width` bits each (its largest counter's bit
  // width: a day of zeros takes no byte). The days are held in pages of kPageDays consecutive
  // days (aligned to multiples of kPageDays), each page one allocation with its days' widths
  // beside it: sealing a day rewrites only the newest page. One buffer for a year had been
  // copied whole, at twice its size, each day, and the heap kept the holes (a quarter of the
  // resident memory while filling). Eight zero bytes follow each page's last day, so that a
  // counter is read with one unaligned 64-bit load.
  class PackedDays {
   public:
    static constexpr int32_t kPageDays = 32;
    static constexpr int32_t kMarkDays = 8;
    int32_t days() const { return pages_.empty() ? 0 : last_day_ - first_day_ + 1; }
    int32_t first_day() const { return first_day_; }
    int32_t last_day() const { return last_day_; }
    // Appends day `day` (> last_day(), or the first), with days of zeros before it.
    void Append(int32_t day, const uint64_t* counters, int32_t per_block);
    // Drops the days before `day`.
    void DropBefore(int32_t day, int32_t per_block);
    void ShrinkToFit() { pages_.shrink_to_fit(); }
    struct Day {
      const uint8_t* bits;
      uint32_t width;
      uint64_t operator[](size_t i) const;
      // The sum of counters [first, last).
      uint64_t Sum(size_t first, size_t last) const;
    };
    Day Get(int32_t day, int32_t per_block) const;
    // Calls f(day, Day) for each day in [lo, hi] held with a non-zero width, oldest first.
    template <typename F>
    void ForEach(int64_t lo, int64_t hi, int32_t per_block, F&& f) const;
    size_t MemoryBytes() const;

   private:
    struct Page {
      int32_t first_day;  // a multiple of kPageDays
      uint32_t size = 0;  // bytes of counters, without the trailing zero bytes
      std::array<uint8_t, kPageDays> widths{};  // 0: a day of zeros, or not held
      // Where days kMarkDays, 2 * kMarkDays, ... start in `bytes`: finding a day adds at most
      // kMarkDays - 1 widths (a window of a few minutes had added up to 31 for each read).
      std::array<uint32_t, kPageDays / kMarkDays - 1> marks{};
      std::unique_ptr<uint8_t[]> bytes;
      // Sets `marks` from the widths.
      void Mark(int32_t per_block);
    };
    static int32_t PageStart(int32_t day);
    // The page holding `day` (within [first_day_, last_day_]).
    const Page& PageOf(int32_t day) const;
    // Where day `day` of `page` starts in its bytes.
    static size_t Offset(const Page& page, int32_t day, int32_t per_block);

    int32_t first_day_ = 0;
    int32_t last_day_ = -1;
    std::vector<Page> pages_;  // consecutive, oldest first
  };

  int32_t per_block_;
  std::vector<Block> blocks_;  // unpacked days, oldest first
  PackedDays packed_;
  // The block written last: reports arrive nearly in time order, so most Adds hit it. Its
  // position in blocks_; reset whenever blocks are inserted or erased.
  int32_t last_index_ = INT32_MIN;
  size_t last_block_ = 0;
};

}  // namespace om::store
