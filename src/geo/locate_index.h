#pragma once
// LocateIndex answers "which city does this point count toward" (the suburb rule in gazetteer.h)
// in 30-200 ns. Internal to om::geo: Gazetteer builds one at load and forwards Locate() to it.
//
// Layout: a 1° x 1° root grid over the whole sphere; each root cell is a region quadtree down to
// at most kMaxDepth levels (1/128°, under 900 m). Every leaf lists every city that can be the
// answer for some point inside it, so a query walks at most 7 nodes and scans one short list,
// comparing squared chord lengths between unit vectors (exact great-circle order, no trigonometry
// per candidate, no special cases at the antimeridian or the poles). See
// docs/adr/0003-places-grid-index.md for why this and not S2.
//
// Thread-safety: immutable after Build(); Locate() may be called concurrently.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "geo/gazetteer.h"

namespace om::geo {

// One city as seen by the index.
struct LocateSite {
  double lat = 0;        // degrees, in [-90, 90]
  double lon = 0;        // degrees, in [-180, 180]
  double radius_km = 0;  // urban radius, <= kMaxUrbanRadiusKm
  uint32_t population = 0;
};

class LocateIndex {
 public:
  // Leaves hold at most this many candidates unless they are already at kMaxDepth.
  static constexpr size_t kLeafCandidates = 12;
  static constexpr int kMaxDepth = 7;

  // Builds the index over `sites`; site i is CityId i. REQUIRES: sites.size() < kNoCity and every
  // site's fields within the documented ranges.
  static std::unique_ptr<LocateIndex> Build(std::span<const LocateSite> sites);

  LocateIndex(const LocateIndex&) = delete;
  LocateIndex& operator=(const LocateIndex&) = delete;
  ~LocateIndex() = default;

  // See Gazetteer::Locate.
  CityId Locate(double lat, double lon) const;

  size_t MemoryUsage() const;
  // Build statistics for logs, tests and the ADR.
  size_t leaf_count() const { return leaf_count_; }
  size_t candidate_count() const { return candidates_.size() - leaf_count_; }
  size_t max_leaf_size() const { return max_leaf_size_; }

 private:
  // Per-city data the query touches, stored in spatial (Morton) order so a leaf's candidates sit
  // close together in memory.
  struct Point {
    float x, y, z;   // unit vector
    float r_chord2;  // squared chord length of the urban radius
    uint32_t rank;   // position in (population asc, CityId desc) order: larger = bigger city
    CityId id;
  };
  class Builder;

  // Allocates big arrays on transparent huge pages where the kernel allows it (madvise mode):
  // random lookups over ~30 MB otherwise spend much of their time on TLB misses.
  template <typename T>
  struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() = default;
    template <typename U>
    explicit HugePageAllocator(const HugePageAllocator<U>&) {}
    T* allocate(size_t n);
    void deallocate(T* p, size_t) { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
    bool operator==(const HugePageAllocator&) const = default;
  };
  template <typename T>
  using HugeVector = std::vector<T, HugePageAllocator<T>>;

  LocateIndex() = default;

  HugeVector<Point> points_;
  HugeVector<uint32_t> roots_;     // 360 * 180 node codes, row (latitude) major
  HugeVector<uint32_t> children_;  // 4 node codes per internal node
  // Leaves, each [count, point index...]; a leaf's node code is kLeafBit | its offset here.
  HugeVector<uint32_t> candidates_;
  size_t leaf_count_ = 0;
  size_t max_leaf_size_ = 0;
};

}  // namespace om::geo
