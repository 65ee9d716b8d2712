#include "geo/locate_index.h"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "base/check.h"

namespace om::geo {
namespace {

constexpr int kRootCols = 360;                      // 1° cells in longitude, starting at -180
constexpr int kRootRows = 180;                      // 1° cells in latitude, starting at -90
constexpr int kFine = 1 << LocateIndex::kMaxDepth;  // finest cells per degree
constexpr uint32_t kEmptyNode = 0xffffffff;  // no city can be the answer anywhere in the cell
constexpr uint32_t kLeafBit = 0x80000000;    // node code = kLeafBit | leaf index
constexpr double kDegToRad = M_PI / 180.0;
constexpr double kMaxPlaceAngle = kMaxPlaceDistanceKm / kEarthRadiusKm;
// Slack added to every pruning test so that float rounding at query time can never make a
// pruned city the right answer. 20 m is far above the float error (under 1 m) and far below
// anything that matters for placing reports.
constexpr double kSlackAngle = 0.02 / kEarthRadiusKm;

struct Vec3 {
  double x, y, z;
};

Vec3 UnitVector(double lat_deg, double lon_deg) {
  const double lat = lat_deg * kDegToRad;
  const double lon = lon_deg * kDegToRad;
  return {std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon), std::sin(lat)};
}

double Chord(const Vec3& a, const Vec3& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double dz = a.z - b.z;
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

// Central angle in radians for a chord of the unit sphere. The series is exact to 1e-10 for the
// short chords that dominate index building and saves the asin.
double ChordToAngle(double chord) {
  if (chord < 0.05) {
    const double c2 = chord * chord;
    return chord * (1.0 + c2 / 24.0 + 3.0 * c2 * c2 / 640.0);
  }
  return 2.0 * std::asin(std::min(1.0, chord / 2.0));
}

double AngleToChord2(double angle) {
  const double chord = 2.0 * std::sin(std::min(angle, M_PI) / 2.0);
  return chord * chord;
}

// Wraps any finite longitude into [-180, 180).
double WrapLon(double lon) {
  if (lon >= -180.0 && lon < 180.0) return lon;
  double w = std::fmod(lon + 180.0, 360.0);
  if (w < 0) w += 360.0;
  return w - 180.0;
}

uint32_t SpreadBits(uint32_t v) {  // 16 bits -> even bits of 32
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v;
}

}  // namespace

template <typename T>
T* LocateIndex::HugePageAllocator<T>::allocate(size_t n) {
  constexpr size_t kHugePage = size_t{2} << 20;
  const size_t bytes = n * sizeof(T);
  if (bytes < kHugePage / 2) {
    void* p = std::malloc(bytes);  // NOLINT(cppcoreguidelines-no-malloc): paired with free()
    OM_CHECK(p != nullptr) << "out of memory";
    return static_cast<T*>(p);
  }
  const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = std::aligned_alloc(kHugePage, rounded);  // NOLINT(cppcoreguidelines-no-malloc)
  OM_CHECK(p != nullptr) << "out of memory";
  // Advisory only: without THP support this fails harmlessly and we keep 4 KiB pages.
  (void)madvise(p, rounded, MADV_HUGEPAGE);
  return static_cast<T*>(p);
}

// Builds the tree top-down. Each node's candidate list is filtered from its parent's with bounds
// that only ever keep too many cities, never too few:
//   C = cell centre, h = angle from C to the farthest corner (the farthest point of a lat/lon
//   cell from its centre is a corner), a = angle from C to a city. For every point p of the cell,
//   a - h <= dist(p, city) <= a + h (triangle inequality).
// A city stays a candidate if its urban circle may reach the cell (a - h <= r) or it may be the
// nearest city for some point (a - h <= D, where D = min over candidates of a + h bounds the
// nearest-city distance of every point, capped at kMaxPlaceDistanceKm). If some city's circle
// covers the whole cell (a + h <= r), every point is inside a circle, so only that city and
// bigger cities whose circles reach the cell can win.
class LocateIndex::Builder {
 public:
  Builder(LocateIndex& index, std::span<const LocateSite> sites) : index_(index), sites_(sites) {}

  void Run() {
    const size_t n = sites_.size();
    OM_CHECK(n < kNoCity) << "too many sites";
    std::vector<uint32_t> by_size(n);
    std::iota(by_size.begin(), by_size.end(), 0);
    std::sort(by_size.begin(), by_size.end(), [&](uint32_t a, uint32_t b) {
      if (sites_[a].population != sites_[b].population) {
        return sites_[a].population < sites_[b].population;
      }
      return a > b;
    });
    std::vector<uint32_t> rank(n);
    for (uint32_t i = 0; i < n; ++i) rank[by_size[i]] = i;

    // Spatial (Morton) order for points_.
    std::vector<uint64_t> order(n);
    for (uint32_t i = 0; i < n; ++i) {
      const auto lon16 = static_cast<uint32_t>((sites_[i].lon + 180.0) / 360.0 * 65535.0);
      const auto lat16 = static_cast<uint32_t>((sites_[i].lat + 90.0) / 180.0 * 65535.0);
      order[i] = (static_cast<uint64_t>(SpreadBits(lon16) | (SpreadBits(lat16) << 1)) << 32) | i;
    }
    std::sort(order.begin(), order.end());
    index_.points_.resize(n);
    xyz_.resize(n);
    radius_.resize(n);
    for (uint32_t p = 0; p < n; ++p) {
      const auto id = static_cast<uint32_t>(order[p] & 0xffffffff);
      const LocateSite& s = sites_[id];
      xyz_[p] = UnitVector(s.lat, s.lon);
      radius_[p] = s.radius_km / kEarthRadiusKm;
      index_.points_[p] = Point{.x = static_cast<float>(xyz_[p].x),
                                .y = static_cast<float>(xyz_[p].y),
                                .z = static_cast<float>(xyz_[p].z),
                                .r_chord2 = static_cast<float>(AngleToChord2(radius_[p])),
                                .rank = rank[id],
                                .id = id};
    }

    // Bucket points by root cell for gathering.
    std::vector<uint32_t> bucket_start(kRootRows * kRootCols + 1, 0);
    std::vector<uint32_t> cell_of(n);
    for (uint32_t p = 0; p < n; ++p) {
      const LocateSite& s = sites_[index_.points_[p].id];
      const int row = std::clamp(static_cast<int>(std::floor(s.lat + 90.0)), 0, kRootRows - 1);
      const int col = std::clamp(static_cast<int>(std::floor(s.lon + 180.0)), 0, kRootCols - 1);
      cell_of[p] = static_cast<uint32_t>(row * kRootCols + col);
      ++bucket_start[cell_of[p] + 1];
    }
    std::partial_sum(bucket_start.begin(), bucket_start.end(), bucket_start.begin());
    std::vector<uint32_t> bucket_items(n);
    {
      std::vector<uint32_t> fill(bucket_start.begin(), bucket_start.end() - 1);
      for (uint32_t p = 0; p < n; ++p) bucket_items[fill[cell_of[p]]++] = p;
    }

    // A root cell gathers the cities of the 3 rows around it within col_reach[row] columns: any
    // city within kMaxPlaceDistanceKm of the cell is among them, because for two points with
    // |lat| <= lat_max, sin(d/2) >= cos(lat_max) * sin(dlon/2).
    std::vector<int> col_reach(kRootRows);
    for (int row = 0; row < kRootRows; ++row) {
      const double lat_max =
          std::min(90.0, std::max(std::abs(row - 1 - 90.0), std::abs(row + 2 - 90.0)));
      const double s = std::sin((kMaxPlaceAngle + kSlackAngle) / 2.0) /
                       std::max(1e-12, std::cos(lat_max * kDegToRad));
      col_reach[row] = s >= 1.0 ? kRootCols / 2
                                : static_cast<int>(std::ceil(2.0 * std::asin(s) / kDegToRad)) + 1;
      col_reach[row] = std::min(col_reach[row], kRootCols / 2);
    }
    // Only root cells some city can reach need work; the rest stay empty.
    std::vector<char> needed(size_t{kRootRows} * kRootCols, 0);
    for (uint32_t cell = 0; cell < kRootRows * kRootCols; ++cell) {
      if (bucket_start[cell] == bucket_start[cell + 1]) continue;
      const int row = static_cast<int>(cell) / kRootCols;
      const int col = static_cast<int>(cell) % kRootCols;
      for (int r = std::max(0, row - 1); r <= std::min(kRootRows - 1, row + 1); ++r) {
        for (int dc = -col_reach[r]; dc <= col_reach[r]; ++dc) {
          needed[r * kRootCols + ((col + dc) % kRootCols + kRootCols) % kRootCols] = 1;
        }
      }
    }

    std::vector<uint32_t> roots(size_t{kRootRows} * kRootCols, kEmptyNode);
    std::vector<uint32_t> gathered;
    for (int row = 0; row < kRootRows; ++row) {
      for (int col = 0; col < kRootCols; ++col) {
        if (needed[row * kRootCols + col] == 0) continue;
        gathered.clear();
        for (int r = std::max(0, row - 1); r <= std::min(kRootRows - 1, row + 1); ++r) {
          const int reach = col_reach[row];
          // Columns col - reach .. col + reach, each once even when the span wraps around.
          const int width = std::min(2 * reach + 1, kRootCols);
          for (int k = 0; k < width; ++k) {
            const int c = ((col - reach + k) % kRootCols + kRootCols) % kRootCols;
            const auto cell = static_cast<uint32_t>(r * kRootCols + c);
            for (uint32_t i = bucket_start[cell]; i < bucket_start[cell + 1]; ++i) {
              gathered.push_back(bucket_items[i]);
            }
          }
        }
        if (gathered.empty()) continue;
        std::sort(gathered.begin(), gathered.end());
        roots[row * kRootCols + col] = Subdivide(col * kFine, row * kFine, 0, gathered);
      }
    }
    index_.roots_.assign(roots.begin(), roots.end());
    index_.children_.assign(children_.begin(), children_.end());
    index_.candidates_.assign(candidates_.begin(), candidates_.end());
  }

 private:
  // Returns the node code for the cell with south-west corner (u0, v0) in 1/kFine degree units
  // at `depth`, given a superset `parent` of its candidates (point indices, ascending).
  uint32_t Subdivide(int u0, int v0, int depth, const std::vector<uint32_t>& parent) {
    const int size = kFine >> depth;
    const double lon0 = u0 / static_cast<double>(kFine) - 180.0;
    const double lat0 = v0 / static_cast<double>(kFine) - 90.0;
    const double span = size / static_cast<double>(kFine);
    const Vec3 center = UnitVector(lat0 + span / 2, lon0 + span / 2);
    double h = 0;
    for (int corner = 0; corner < 4; ++corner) {
      const Vec3 v = UnitVector(lat0 + ((corner & 1) != 0 ? span : 0.0),
                                lon0 + ((corner & 2) != 0 ? span : 0.0));
      h = std::max(h, ChordToAngle(Chord(center, v)));
    }

    angle_.resize(parent.size());
    double nearest_bound = kMaxPlaceAngle;
    int64_t covering_rank = -1;
    for (size_t i = 0; i < parent.size(); ++i) {
      const uint32_t p = parent[i];
      const double a = ChordToAngle(Chord(center, xyz_[p]));
      angle_[i] = a;
      nearest_bound = std::min(nearest_bound, a + h);
      if (a + h <= radius_[p] - kSlackAngle) {
        covering_rank = std::max<int64_t>(covering_rank, index_.points_[p].rank);
      }
    }
    std::vector<uint32_t> kept;
    for (size_t i = 0; i < parent.size(); ++i) {
      const uint32_t p = parent[i];
      const double min_dist = angle_[i] - h - kSlackAngle;
      const bool circle_may_reach = min_dist <= radius_[p];
      if (covering_rank >= 0) {
        if (circle_may_reach && index_.points_[p].rank >= covering_rank) kept.push_back(p);
      } else if (circle_may_reach || min_dist <= nearest_bound) {
        kept.push_back(p);
      }
    }
    if (kept.empty()) return kEmptyNode;
    if (kept.size() <= kLeafCandidates || depth == kMaxDepth) {
      const auto leaf = static_cast<uint32_t>(candidates_.size());
      OM_CHECK(leaf < kLeafBit) << "locate index too large";
      candidates_.push_back(static_cast<uint32_t>(kept.size()));
      candidates_.insert(candidates_.end(), kept.begin(), kept.end());
      ++index_.leaf_count_;
      index_.max_leaf_size_ = std::max(index_.max_leaf_size_, kept.size());
      return kLeafBit | leaf;
    }
    const auto first = static_cast<uint32_t>(children_.size());
    OM_CHECK(first < kLeafBit) << "locate index too large";
    children_.resize(first + 4);
    const int half = size / 2;
    for (int q = 0; q < 4; ++q) {
      const uint32_t child = Subdivide(u0 + ((q & 1) != 0 ? half : 0),
                                       v0 + ((q & 2) != 0 ? half : 0), depth + 1, kept);
      children_[first + q] = child;
    }
    return first;
  }

  LocateIndex& index_;
  std::span<const LocateSite> sites_;
  std::vector<Vec3> xyz_;             // by point index, double precision for building
  std::vector<double> radius_;        // urban radius as an angle, by point index
  std::vector<double> angle_;         // scratch
  std::vector<uint32_t> children_;    // built here, then copied to the index's huge pages
  std::vector<uint32_t> candidates_;  // likewise
};

std::unique_ptr<LocateIndex> LocateIndex::Build(std::span<const LocateSite> sites) {
  std::unique_ptr<LocateIndex> index(new LocateIndex());
  Builder(*index, sites).Run();
  return index;
}

CityId LocateIndex::Locate(double lat, double lon) const {
  if (!(lat >= -90.0 && lat <= 90.0) || !std::isfinite(lon)) return kNoCity;
  lon = WrapLon(lon);
  const uint32_t u =
      std::min(static_cast<uint32_t>((lon + 180.0) * kFine), uint32_t{kRootCols * kFine - 1});
  const uint32_t v =
      std::min(static_cast<uint32_t>((lat + 90.0) * kFine), uint32_t{kRootRows * kFine - 1});
  uint32_t node = roots_[(v / kFine) * kRootCols + u / kFine];
  for (int level = kMaxDepth - 1; level >= 0 && node < kLeafBit; --level) {
    node = children_[node + ((((v >> level) & 1) << 1) | ((u >> level) & 1))];
  }
  if (node == kEmptyNode) return kNoCity;
  const uint32_t leaf = node & ~kLeafBit;

  const double lat_rad = lat * kDegToRad;
  const double lon_rad = lon * kDegToRad;
  const double cos_lat = std::cos(lat_rad);
  const auto px = static_cast<float>(cos_lat * std::cos(lon_rad));
  const auto py = static_cast<float>(cos_lat * std::sin(lon_rad));
  const auto pz = static_cast<float>(std::sin(lat_rad));

  static const float kMaxChord2 = static_cast<float>(AngleToChord2(kMaxPlaceAngle));
  CityId in_circle = kNoCity;
  uint32_t in_circle_rank = 0;
  CityId nearest = kNoCity;
  float nearest_d2 = kMaxChord2;
  const uint32_t* candidate = &candidates_[leaf];
  const uint32_t* const end = candidate + 1 + *candidate;
  for (++candidate; candidate < end; ++candidate) {
    const Point& c = points_[*candidate];
    const float dx = px - c.x;
    const float dy = py - c.y;
    const float dz = pz - c.z;
    const float d2 = dx * dx + dy * dy + dz * dz;
    if (d2 <= c.r_chord2 && (in_circle == kNoCity || c.rank > in_circle_rank)) {
      in_circle = c.id;
      in_circle_rank = c.rank;
    }
    if (d2 <= nearest_d2) {
      if (d2 < nearest_d2 || nearest == kNoCity || c.id < nearest) nearest = c.id;
      nearest_d2 = d2;
    }
  }
  return in_circle != kNoCity ? in_circle : nearest;
}

size_t LocateIndex::MemoryUsage() const {
  return points_.capacity() * sizeof(Point) + roots_.capacity() * sizeof(uint32_t) +
         children_.capacity() * sizeof(uint32_t) + candidates_.capacity() * sizeof(uint32_t);
}

}  // namespace om::geo
