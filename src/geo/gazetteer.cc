#include "geo/gazetteer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numbers>

#include <fmt/core.h>

#include "base/check.h"
#include "base/crc32c.h"
#include "geo/locate_index.h"

// The bytes of the gazetteer, linked in by om_embed_file(); the symbol names are the build's.
extern "C" const char om_embed_gazetteer_begin[];  // NOLINT(readability-identifier-naming)
extern "C" const char om_embed_gazetteer_end[];    // NOLINT(readability-identifier-naming)

namespace om::geo {
namespace {

static_assert(std::endian::native == std::endian::little, "the gazetteer file is little-endian");

// File layout: docs/formats/gazetteer.md.
constexpr std::string_view kMagic = "OMGAZETR";
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderBytes = 40;
constexpr size_t kRegionBytes = 8;
constexpr size_t kCityBytes = 32;
constexpr size_t kAltBytes = 8;
constexpr size_t kTrailerBytes = 4;
constexpr CountryId kNoCountry = 0xffff;

uint32_t U32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint16_t U16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint8_t U8(const char* p) { return static_cast<uint8_t>(*p); }

int LetterIndex(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  return -1;
}

uint64_t HashName(CountryId country, std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull ^ country;  // FNV-1a, seeded with the country
  for (char c : key) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h ^ (h >> 29);
}

}  // namespace

// Open-addressing map (country, folded name) -> largest city. No per-entry allocation, so
// building it for ~110,000 names takes a few milliseconds.
struct Gazetteer::NameIndex {
  struct Slot {
    CityId city = kNoCity;
    CountryId country = 0;
    uint32_t hash = 0;  // low 32 bits of HashName, checked before comparing names
  };
  std::vector<Slot> slots;  // size is a power of two, at most half full
  size_t mask = 0;
};

Gazetteer::Gazetteer() = default;
Gazetteer::~Gazetteer() = default;

Result<std::unique_ptr<Gazetteer>> Gazetteer::LoadBuiltin() {
  const std::string_view bytes(
      om_embed_gazetteer_begin,
      static_cast<size_t>(om_embed_gazetteer_end - om_embed_gazetteer_begin));
  auto result = LoadFromBytes(bytes);
  if (!result.ok()) return result.status().WithPrefix("built-in gazetteer");
  return result;
}

Result<std::unique_ptr<Gazetteer>> Gazetteer::LoadFromBytes(std::string_view bytes) {
  auto result = Parse(bytes);
  if (!result.ok()) return result.status();
  (*result)->BuildIndexes();
  return result;
}

Result<std::unique_ptr<Gazetteer>> Gazetteer::Parse(std::string_view bytes) {
  const auto corrupt = [](const std::string& what) {
    return Status::Corruption("gazetteer: " + what);
  };
  if (bytes.size() < kHeaderBytes + kTrailerBytes) {
    return corrupt(fmt::format("{} bytes is shorter than the header", bytes.size()));
  }
  const char* base = bytes.data();
  if (bytes.substr(0, kMagic.size()) != kMagic) return corrupt("bad magic");
  const uint32_t version = U32(base + 8);
  if (version != kFormatVersion) {
    return corrupt(fmt::format("unsupported format version {} (want {})", version, kFormatVersion));
  }
  const uint64_t country_count = U32(base + 12);
  const uint64_t region_count = U32(base + 16);
  const uint64_t city_count = U32(base + 20);
  const uint64_t alt_count = U32(base + 24);
  const uint64_t string_bytes = U32(base + 28);
  const uint64_t total = U32(base + 32);
  const uint64_t expected = kHeaderBytes + 2 * country_count + kRegionBytes * region_count +
                            kCityBytes * city_count + kAltBytes * alt_count + string_bytes +
                            kTrailerBytes;
  if (total != bytes.size() || expected != bytes.size()) {
    return corrupt(fmt::format("size {} does not match header (total {}, sections {})",
                               bytes.size(), total, expected));
  }
  const uint32_t stored_crc = U32(base + bytes.size() - kTrailerBytes);
  const uint32_t actual_crc = crc32c::Value(base, bytes.size() - kTrailerBytes);
  if (stored_crc != actual_crc) {
    return corrupt(
        fmt::format("checksum mismatch (stored {:08x}, computed {:08x})", stored_crc, actual_crc));
  }
  if (country_count > kNoCountry || region_count > 0x10000 || city_count >= kNoCity) {
    return corrupt("too many entries");
  }

  std::unique_ptr<Gazetteer> g(new Gazetteer());
  const char* p = base + kHeaderBytes;
  g->countries_.assign(p, 2 * country_count);
  p += 2 * country_count;
  const char* regions = p;
  p += kRegionBytes * region_count;
  const char* cities = p;
  p += kCityBytes * city_count;
  const char* alts = p;
  p += kAltBytes * alt_count;
  g->strings_.assign(p, string_bytes);
  const std::string_view pool = g->strings_;
  const auto pool_ref = [&](uint32_t off, uint32_t len) -> std::optional<std::string_view> {
    if (off > pool.size() || len > pool.size() - off) return std::nullopt;
    return pool.substr(off, len);
  };

  g->country_by_letters_.assign(size_t{26} * 26, kNoCountry);
  g->country_codes_.reserve(country_count);
  for (size_t i = 0; i < country_count; ++i) {
    const std::string_view code = std::string_view(g->countries_).substr(2 * i, 2);
    if (code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z') {
      return corrupt(fmt::format("country {}: bad code", i));
    }
    if (i > 0 && code <= g->country_codes_.back()) {
      return corrupt(fmt::format("country {}: codes not strictly ascending", i));
    }
    g->country_codes_.push_back(code);
    g->country_by_letters_[LetterIndex(code[0]) * 26 + LetterIndex(code[1])] =
        static_cast<CountryId>(i);
  }

  std::vector<CountryId> region_country(region_count);
  g->region_codes_.reserve(region_count);
  for (size_t i = 0; i < region_count; ++i) {
    const char* r = regions + kRegionBytes * i;
    const uint16_t country = U16(r + 4);
    const auto code = pool_ref(U32(r), U8(r + 6));
    if (!code || country >= country_count || code->size() < 4 ||
        code->substr(0, 2) != g->country_codes_[country] || (*code)[2] != '-') {
      return corrupt(fmt::format("region {}: bad code or country", i));
    }
    region_country[i] = country;
    g->region_codes_.push_back(*code);
  }

  g->cities_.reserve(city_count);
  for (size_t i = 0; i < city_count; ++i) {
    const char* c = cities + kCityBytes * i;
    const uint32_t geonameid = U32(c);
    const auto lat_e5 = static_cast<int32_t>(U32(c + 4));
    const auto lon_e5 = static_cast<int32_t>(U32(c + 8));
    const uint16_t region = U16(c + 24);
    const uint8_t feature = U8(c + 28);
    const auto name = pool_ref(U32(c + 16), U8(c + 26));
    const auto key = pool_ref(U32(c + 20), U8(c + 27));
    if (i > 0 && geonameid <= g->cities_.back().geonameid) {
      return corrupt(fmt::format("city {}: geonameids not strictly ascending", i));
    }
    if (lat_e5 < -9000000 || lat_e5 > 9000000 || lon_e5 < -18000000 || lon_e5 > 18000000) {
      return corrupt(fmt::format("city {}: coordinates out of range", i));
    }
    if (!name || name->empty() || !key || region >= region_count || feature > 2) {
      return corrupt(fmt::format("city {}: bad name, region or feature class", i));
    }
    const uint32_t population = U32(c + 12);
    const CountryId country = region_country[region];
    g->cities_.push_back(City{.geonameid = geonameid,
                              .name = *name,
                              .country = g->country_codes_[country],
                              .region = region,
                              .country_id = country,
                              .lat = lat_e5 / 1e5,
                              .lon = lon_e5 / 1e5,
                              .population = population,
                              .folded_name = *key,
                              .feature_class = static_cast<FeatureClass>(feature),
                              .urban_radius_km = UrbanRadiusKm(population)});
  }

  g->alt_countries_.reserve(alt_count);
  for (size_t i = 0; i < alt_count; ++i) {
    const char* a = alts + kAltBytes * i;
    const uint32_t city = U32(a);
    const uint16_t country = U16(a + 4);
    if (city >= city_count || country >= country_count ||
        (i > 0 && city < g->alt_countries_.back().first)) {
      return corrupt(fmt::format("alternate country {}: bad city or country", i));
    }
    g->alt_countries_.emplace_back(city, country);
  }
  return g;
}

namespace {

// MetroOf for every city. Cities are bucketed in cells of a quarter of a degree (27.8 km of
// latitude, more than kMetroRadiusKm), each cell's largest first, so each city reads only the
// larger cities of the cells around its own, and stops in a cell at the first within reach.
std::vector<CityId> BuildMetros(const std::vector<City>& cities) {
  constexpr double kCellDegrees = 0.25;
  constexpr int64_t kRows = 720, kLonCells = 1440;  // 180 and 360 / kCellDegrees
  constexpr double kRadians = std::numbers::pi / 180;
  auto row_of = [](double lat) {  // the pole's own row is the last one's
    return std::min(kRows - 1, static_cast<int64_t>(std::floor((lat + 90) / kCellDegrees)));
  };
  auto col_of = [](double lon) {
    return static_cast<int64_t>(std::floor((lon + 180) / kCellDegrees)) % kLonCells;
  };
  struct Entry {
    int64_t cell;
    uint32_t population;
    CityId id;
    double lat, lon;
  };
  std::vector<Entry> by_cell;
  by_cell.reserve(cities.size());
  for (size_t i = 0; i < cities.size(); ++i) {
    const City& c = cities[i];
    by_cell.push_back({row_of(c.lat) * kLonCells + col_of(c.lon), c.population,
                       static_cast<CityId>(i), c.lat, c.lon});
  }
  // Within a cell, the larger first (ties: the lower CityId), the order in which one wins.
  auto before = [](const Entry& a, const Entry& b) {
    if (a.cell != b.cell) return a.cell < b.cell;
    if (a.population != b.population) return a.population > b.population;
    return a.id < b.id;
  };
  std::sort(by_cell.begin(), by_cell.end(), before);
  // Where each cell's entries begin (cells of the whole sphere).
  constexpr int64_t kCells = kRows * kLonCells;
  std::vector<uint32_t> first(kCells + 1, 0);
  for (const Entry& e : by_cell) ++first[e.cell + 1];
  for (int64_t k = 0; k < kCells; ++k) first[k + 1] += first[k];
  std::vector<CityId> larger(cities.size());
  for (const Entry& c : by_cell) {
    const Entry* best = &c;
    const double lat_km = 111.32 * kCellDegrees;
    const double cos_lat = std::cos(c.lat * kRadians);
    const double lon_km = std::max(lat_km * cos_lat, 0.1);
    const int64_t cols =
        std::min<int64_t>(kLonCells / 2, static_cast<int64_t>(std::ceil(kMetroRadiusKm / lon_km)));
    const int64_t row = row_of(c.lat), col = col_of(c.lon);
    for (int64_t r = std::max<int64_t>(row - 1, 0); r <= std::min(row + 1, kRows - 1); ++r) {
      for (int64_t dc = -cols; dc <= cols; ++dc) {
        const int64_t cell = r * kLonCells + ((col + dc) % kLonCells + kLonCells) % kLonCells;
        // Only cities that would beat the best so far (larger, or as large with a lower id):
        // the cell's first ones.
        for (auto it = by_cell.begin() + first[cell]; it != by_cell.begin() + first[cell + 1];
             ++it) {
          const bool beats = it->population > best->population ||
                             (it->population == best->population && it->id < best->id);
          if (!beats) break;
          // A flat-earth bound first (within 2% over a cell's few kilometres); then the exact.
          const double dy = (it->lat - c.lat) * 111.32;
          double dlon = std::abs(it->lon - c.lon);
          dlon = std::min(dlon, 360 - dlon);
          const double dx = dlon * 111.32 * std::min(cos_lat, std::cos(it->lat * kRadians));
          if (dx * dx + dy * dy > kMetroRadiusKm * kMetroRadiusKm * 1.05) continue;
          if (DistanceKm(c.lat, c.lon, it->lat, it->lon) <= kMetroRadiusKm) {
            best = &*it;
            break;  // the cell's largest within reach
          }
        }
      }
    }
    larger[c.id] = best->id;
  }
  // Follow each chain to its largest city: population grows along it, so it ends.
  std::vector<CityId> metro(cities.size());
  for (size_t i = 0; i < cities.size(); ++i) {
    CityId m = static_cast<CityId>(i);
    while (larger[m] != m) m = larger[m];
    metro[i] = m;
  }
  return metro;
}

}  // namespace

CityId Gazetteer::MetroOf(CityId id) const {
  // Built at the first call, not at load: it costs about a seventh of the load, and only the
  // detector's metro scan asks.
  std::call_once(metro_once_, [this] { metro_ = BuildMetros(cities_); });
  OM_DCHECK(id < metro_.size()) << "CityId " << id << " out of range";
  return metro_[id];
}

void Gazetteer::BuildIndexes() {
  std::vector<LocateSite> sites;
  sites.reserve(cities_.size());
  for (const City& c : cities_) {
    sites.push_back(LocateSite{
        .lat = c.lat, .lon = c.lon, .radius_km = c.urban_radius_km, .population = c.population});
  }
  locate_ = LocateIndex::Build(sites);

  // Name index: one entry per (country, folded name), holding the most populous city. Cities are
  // visited in CityId order and replace an entry only when strictly larger, so ties keep the
  // lower CityId.
  names_ = std::make_unique<NameIndex>();
  const size_t entries = cities_.size() + alt_countries_.size();
  size_t capacity = 16;
  while (capacity < 2 * entries) capacity *= 2;
  names_->slots.assign(capacity, NameIndex::Slot{});
  names_->mask = capacity - 1;
  const auto insert = [&](CityId id, CountryId country) {
    const City& c = cities_[id];
    const uint64_t h = HashName(country, c.folded_name);
    for (size_t i = h & names_->mask;; i = (i + 1) & names_->mask) {
      NameIndex::Slot& slot = names_->slots[i];
      if (slot.city == kNoCity) {
        slot = {.city = id, .country = country, .hash = static_cast<uint32_t>(h)};
        return;
      }
      if (slot.hash == static_cast<uint32_t>(h) && slot.country == country &&
          cities_[slot.city].folded_name == c.folded_name) {
        if (c.population > cities_[slot.city].population) slot.city = id;
        return;
      }
    }
  };
  size_t next_alt = 0;
  for (CityId id = 0; id < cities_.size(); ++id) {
    insert(id, cities_[id].country_id);
    for (; next_alt < alt_countries_.size() && alt_countries_[next_alt].first == id; ++next_alt) {
      insert(id, alt_countries_[next_alt].second);
    }
  }

  by_folded_name_.resize(cities_.size());
  for (CityId id = 0; id < cities_.size(); ++id) by_folded_name_[id] = id;
  std::sort(by_folded_name_.begin(), by_folded_name_.end(), [&](CityId a, CityId b) {
    const int cmp = cities_[a].folded_name.compare(cities_[b].folded_name);
    return cmp != 0 ? cmp < 0 : a < b;
  });
}

const City& Gazetteer::city(CityId id) const {
  OM_DCHECK(id < cities_.size()) << "CityId " << id << " out of range";
  return cities_[id];
}

std::string_view Gazetteer::region_code(RegionId id) const {
  OM_DCHECK(id < region_codes_.size()) << "RegionId " << id << " out of range";
  return region_codes_[id];
}

std::string_view Gazetteer::country_code(CountryId id) const {
  OM_DCHECK(id < country_codes_.size()) << "CountryId " << id << " out of range";
  return country_codes_[id];
}

std::optional<CountryId> Gazetteer::FindCountry(std::string_view iso2) const {
  if (iso2.size() != 2) return std::nullopt;
  const int a = LetterIndex(iso2[0]);
  const int b = LetterIndex(iso2[1]);
  if (a < 0 || b < 0) return std::nullopt;
  const CountryId id = country_by_letters_[a * 26 + b];
  if (id == kNoCountry) return std::nullopt;
  return id;
}

CityId Gazetteer::Locate(double lat, double lon) const { return locate_->Locate(lat, lon); }

CityId Gazetteer::FindByName(std::string_view name, std::string_view country_iso2) const {
  const std::optional<CountryId> country = FindCountry(country_iso2);
  if (!country) return kNoCity;
  const std::string key = FoldName(name);
  if (key.empty()) return kNoCity;
  const uint64_t h = HashName(*country, key);
  for (size_t i = h & names_->mask;; i = (i + 1) & names_->mask) {
    const NameIndex::Slot& slot = names_->slots[i];
    if (slot.city == kNoCity) return kNoCity;
    if (slot.hash == static_cast<uint32_t>(h) && slot.country == *country &&
        cities_[slot.city].folded_name == key) {
      return slot.city;
    }
  }
}

CityId Gazetteer::FindByGeonameId(uint32_t geonameid) const {
  const auto it = std::lower_bound(cities_.begin(), cities_.end(), geonameid,
                                   [](const City& c, uint32_t id) { return c.geonameid < id; });
  if (it == cities_.end() || it->geonameid != geonameid) return kNoCity;
  return static_cast<CityId>(it - cities_.begin());
}

std::vector<CityId> Gazetteer::Suggest(std::string_view prefix, size_t limit) const {
  const std::string key = FoldName(prefix);
  std::vector<CityId> matches;
  if (key.empty() || limit == 0) return matches;
  auto it = std::lower_bound(by_folded_name_.begin(), by_folded_name_.end(), key,
                             [&](CityId id, const std::string& k) {
                               return cities_[id].folded_name < std::string_view(k);
                             });
  for (; it != by_folded_name_.end() && cities_[*it].folded_name.starts_with(key); ++it) {
    matches.push_back(*it);
  }
  const auto larger = [&](CityId a, CityId b) {
    if (cities_[a].population != cities_[b].population) {
      return cities_[a].population > cities_[b].population;
    }
    return a < b;
  };
  if (matches.size() > limit) {
    std::partial_sort(matches.begin(), matches.begin() + static_cast<ptrdiff_t>(limit),
                      matches.end(), larger);
    matches.resize(limit);
  } else {
    std::sort(matches.begin(), matches.end(), larger);
  }
  return matches;
}

size_t Gazetteer::MemoryUsage() const {
  return strings_.capacity() + countries_.capacity() + cities_.capacity() * sizeof(City) +
         region_codes_.capacity() * sizeof(std::string_view) +
         country_codes_.capacity() * sizeof(std::string_view) +
         country_by_letters_.capacity() * sizeof(CountryId) +
         alt_countries_.capacity() * sizeof(alt_countries_[0]) +
         by_folded_name_.capacity() * sizeof(CityId) + locate_->MemoryUsage() +
         names_->slots.capacity() * sizeof(NameIndex::Slot);
}

double DistanceKm(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kDegToRad = M_PI / 180.0;
  const double dlat = (lat2 - lat1) * kDegToRad;
  const double dlon = (lon2 - lon1) * kDegToRad;
  const double s1 = std::sin(dlat / 2);
  const double s2 = std::sin(dlon / 2);
  const double a = s1 * s1 + std::cos(lat1 * kDegToRad) * std::cos(lat2 * kDegToRad) * s2 * s2;
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

double UrbanRadiusKm(uint32_t population) {
  return std::clamp(kUrbanRadiusKmPerSqrtPerson * std::sqrt(static_cast<double>(population)),
                    kMinUrbanRadiusKm, kMaxUrbanRadiusKm);
}

}  // namespace om::geo
