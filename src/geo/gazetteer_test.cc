#include "geo/gazetteer.h"

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/crc32c.h"
#include "geo/testing_gazetteer.h"

extern "C" const char om_embed_gazetteer_begin[];
extern "C" const char om_embed_gazetteer_end[];

namespace om::geo {
namespace {

std::string_view BuiltinBytes() {
  return {om_embed_gazetteer_begin,
          static_cast<size_t>(om_embed_gazetteer_end - om_embed_gazetteer_begin)};
}

// Loaded once for the whole binary: immutable, so sharing it between tests is safe.
const Gazetteer& Builtin() { return TestingBuiltinGazetteer(); }

uint32_t GeonameIdOf(CityId id) { return id == kNoCity ? 0 : Builtin().city(id).geonameid; }

constexpr uint32_t kMinneapolis = 5037649;
constexpr uint32_t kSaintLouisPark = 5045021;
constexpr uint32_t kColumbiaHeights = 5021828;
constexpr uint32_t kBloomingtonMn = 5018739;
constexpr uint32_t kParis = 2988507;
constexpr uint32_t kZurich = 2657896;
constexpr uint32_t kSaoPaulo = 3448439;
constexpr uint32_t kLondon = 2643743;

TEST(GazetteerTest, BuiltinLoadsAllCities) {
  const auto start = std::chrono::steady_clock::now();
  auto loaded = Gazetteer::LoadBuiltin();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Gazetteer& g = **loaded;
  EXPECT_GT(g.city_count(), 100000u);
  EXPECT_GT(g.region_count(), 3000u);
  EXPECT_GT(g.country_count(), 200u);
  std::printf("load: %lld ms, %zu cities, %zu regions, %zu countries, %zu MiB\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()),
              g.city_count(), g.region_count(), g.country_count(), g.MemoryUsage() >> 20);
}

TEST(GazetteerTest, CitiesHaveConsistentFields) {
  const Gazetteer& g = Builtin();
  const City& m = g.city(g.FindByGeonameId(kMinneapolis));
  EXPECT_EQ(m.name, "Minneapolis");
  EXPECT_EQ(m.country, "US");
  EXPECT_EQ(g.country_code(m.country_id), "US");
  EXPECT_EQ(g.region_code(m.region), "US-MN");
  EXPECT_NEAR(m.lat, 44.97997, 1e-9);
  EXPECT_NEAR(m.lon, -93.26384, 1e-9);
  EXPECT_GT(m.population, 400000u);
  EXPECT_EQ(m.feature_class, FeatureClass::kAdminSeat);
  EXPECT_EQ(g.city(g.FindByGeonameId(kParis)).feature_class, FeatureClass::kCapital);
  for (CityId id = 0; id < g.city_count(); ++id) {
    const City& c = g.city(id);
    ASSERT_GE(c.population, 1000u) << c.name;
    ASSERT_EQ(g.region_code(c.region).substr(0, 2), c.country) << c.name;
  }
}

TEST(GazetteerTest, FoldNameMatchesStoredKeys) {
  // The converter folds with tools/gazetteer/fold.js, queries fold with FoldName; they must agree.
  const Gazetteer& g = Builtin();
  for (CityId id = 0; id < g.city_count(); ++id) {
    const City& c = g.city(id);
    ASSERT_EQ(FoldName(c.name), c.folded_name) << c.geonameid << " " << c.name;
  }
}

TEST(GazetteerTest, FindCountryIsCaseInsensitive) {
  const Gazetteer& g = Builtin();
  ASSERT_TRUE(g.FindCountry("ch").has_value());
  EXPECT_EQ(g.country_code(*g.FindCountry("ch")), "CH");
  EXPECT_EQ(g.FindCountry("Us"), g.FindCountry("US"));
  EXPECT_FALSE(g.FindCountry("XX").has_value());
  EXPECT_FALSE(g.FindCountry("U").has_value());
  EXPECT_FALSE(g.FindCountry("USA").has_value());
  EXPECT_FALSE(g.FindCountry("1A").has_value());
}

TEST(GazetteerTest, FindByGeonameId) {
  const Gazetteer& g = Builtin();
  EXPECT_EQ(g.city(g.FindByGeonameId(kZurich)).name, "Zürich");
  EXPECT_EQ(g.FindByGeonameId(1), kNoCity);
  EXPECT_EQ(g.FindByGeonameId(0xffffffff), kNoCity);
  for (CityId id : {CityId{0}, static_cast<CityId>(g.city_count() - 1)}) {
    EXPECT_EQ(g.FindByGeonameId(g.city(id).geonameid), id);
  }
}

TEST(GazetteerTest, LocateCityCentre) {
  const Gazetteer& g = Builtin();
  const CityId id = g.Locate(44.98, -93.26);
  ASSERT_NE(id, kNoCity);
  EXPECT_EQ(g.city(id).geonameid, kMinneapolis);
  EXPECT_EQ(g.region_code(g.city(id).region), "US-MN");
  EXPECT_EQ(GeonameIdOf(g.Locate(51.5074, -0.1278)), kLondon);
}

TEST(GazetteerTest, SuburbInsideBigCityRadiusCountsTowardBigCity) {
  const Gazetteer& g = Builtin();
  // Saint Louis Park (45,000 people) is 7.5 km from Minneapolis's centre, inside its 8.0 km
  // urban radius; Columbia Heights is 6.8 km away. Both count toward Minneapolis.
  const City& slp = g.city(g.FindByGeonameId(kSaintLouisPark));
  EXPECT_EQ(GeonameIdOf(g.Locate(slp.lat, slp.lon)), kMinneapolis);
  const City& ch = g.city(g.FindByGeonameId(kColumbiaHeights));
  EXPECT_EQ(ch.name, "Columbia Heights");
  EXPECT_EQ(GeonameIdOf(g.Locate(ch.lat, ch.lon)), kMinneapolis);
  // Boulogne-Billancourt is 8.3 km from Paris's centre, inside its 18 km radius.
  EXPECT_EQ(GeonameIdOf(g.Locate(48.83545, 2.24128)), kParis);
}

TEST(GazetteerTest, SuburbOutsideBigCityRadiusKeepsItsOwnCity) {
  const Gazetteer& g = Builtin();
  // Bloomington, MN is 15.7 km from Minneapolis: outside its radius, so it stays Bloomington.
  const City& b = g.city(g.FindByGeonameId(kBloomingtonMn));
  EXPECT_EQ(GeonameIdOf(g.Locate(b.lat, b.lon)), kBloomingtonMn);
}

TEST(GazetteerTest, ACityBelongsToTheMetroOfTheLargestCityAroundIt) {
  const Gazetteer& g = Builtin();
  auto metro = [&](uint32_t geonameid) {
    return GeonameIdOf(g.MetroOf(g.FindByGeonameId(geonameid)));
  };
  // Bloomington, MN keeps its own city by the suburb rule, 15.7 km out; its metro is
  // Minneapolis, as is Minneapolis's own.
  EXPECT_EQ(metro(kBloomingtonMn), kMinneapolis);
  EXPECT_EQ(metro(kMinneapolis), kMinneapolis);
  EXPECT_EQ(metro(kParis), kParis);
  EXPECT_EQ(metro(kLondon), kLondon);
  // Every city's metro is at least as populous, its own metro, and no further than the chain
  // of radii allows; Zürich is not in Paris's.
  EXPECT_NE(metro(kZurich), kParis);
  size_t own = 0;
  for (CityId id = 0; id < g.city_count(); id += 97) {
    const CityId m = g.MetroOf(id);
    EXPECT_GE(g.city(m).population, g.city(id).population);
    EXPECT_EQ(g.MetroOf(m), m);
    own += m == id;
  }
  EXPECT_GT(own, 0u);
}

TEST(GazetteerTest, LocateFarFromLandIsNoCity) {
  const Gazetteer& g = Builtin();
  EXPECT_EQ(g.Locate(0.0, -140.0), kNoCity);   // central Pacific
  EXPECT_EQ(g.Locate(-40.0, -20.0), kNoCity);  // South Atlantic
  EXPECT_EQ(g.Locate(90.0, 0.0), kNoCity);
  EXPECT_EQ(g.Locate(-90.0, 123.0), kNoCity);
  EXPECT_EQ(g.Locate(91.0, 0.0), kNoCity);
  EXPECT_EQ(g.Locate(std::nan(""), 0.0), kNoCity);
  EXPECT_EQ(g.Locate(0.0, std::numeric_limits<double>::infinity()), kNoCity);
}

TEST(GazetteerTest, LocateWrapsLongitude) {
  const Gazetteer& g = Builtin();
  EXPECT_EQ(GeonameIdOf(g.Locate(44.98, -93.26 + 360.0)), kMinneapolis);
  EXPECT_EQ(GeonameIdOf(g.Locate(44.98, -93.26 - 720.0)), kMinneapolis);
}

// Brute force over all cities, straight from the rule in gazetteer.h. Returns nullopt when the
// answer is within 50 m of a decision boundary, where float rounding may legitimately differ.
std::optional<CityId> LocateByBruteForce(const Gazetteer& g, double lat, double lon) {
  constexpr double kTie = 0.05;
  CityId in_circle = kNoCity;
  CityId nearest = kNoCity;
  double nearest_km = kMaxPlaceDistanceKm;
  double second_km = 1e9;
  bool ambiguous = false;
  for (CityId id = 0; id < g.city_count(); ++id) {
    const City& c = g.city(id);
    const double d = DistanceKm(lat, lon, c.lat, c.lon);
    if (std::abs(d - c.urban_radius_km) < kTie) ambiguous = true;
    if (d <= c.urban_radius_km &&
        (in_circle == kNoCity || c.population > g.city(in_circle).population)) {
      in_circle = id;
    }
    if (d < nearest_km) {
      second_km = nearest_km;
      nearest_km = d;
      nearest = id;
    } else {
      second_km = std::min(second_km, d);
    }
  }
  if (in_circle != kNoCity) return ambiguous ? std::nullopt : std::optional(in_circle);
  if (ambiguous || second_km - nearest_km < kTie ||
      std::abs(nearest_km - kMaxPlaceDistanceKm) < kTie) {
    return std::nullopt;
  }
  return nearest;
}

TEST(GazetteerTest, LocateAgreesWithBruteForce) {
  const Gazetteer& g = Builtin();
  std::mt19937 rng(42);
  std::uniform_int_distribution<CityId> pick(0, static_cast<CityId>(g.city_count() - 1));
  std::normal_distribution<double> jitter(0.0, 0.2);  // degrees: mostly within 40 km
  int checked = 0;
  for (int i = 0; i < 150; ++i) {
    const City& c = g.city(pick(rng));
    const double lat = std::clamp(c.lat + jitter(rng), -90.0, 90.0);
    const double lon = c.lon + jitter(rng);
    const std::optional<CityId> want = LocateByBruteForce(g, lat, lon);
    if (!want) continue;
    ++checked;
    EXPECT_EQ(g.Locate(lat, lon), *want) << "at " << lat << "," << lon;
  }
  EXPECT_GT(checked, 140);
}

TEST(GazetteerTest, FindByNameFoldsCaseAndDiacritics) {
  const Gazetteer& g = Builtin();
  EXPECT_EQ(GeonameIdOf(g.FindByName("zurich", "CH")), kZurich);
  EXPECT_EQ(GeonameIdOf(g.FindByName("ZÜRICH", "ch")), kZurich);
  EXPECT_EQ(GeonameIdOf(g.FindByName("Zürich", "CH")), kZurich);
  EXPECT_EQ(GeonameIdOf(g.FindByName("Sao Paulo", "BR")), kSaoPaulo);
  EXPECT_EQ(GeonameIdOf(g.FindByName("  são-paulo ", "BR")), kSaoPaulo);
}

TEST(GazetteerTest, FindByNamePrefersLargestPopulation) {
  const Gazetteer& g = Builtin();
  // Minneapolis, KS has 2,000 people; Minneapolis, MN 410,000.
  EXPECT_EQ(GeonameIdOf(g.FindByName("Minneapolis", "US")), kMinneapolis);
  EXPECT_EQ(GeonameIdOf(g.FindByName("london", "GB")), kLondon);
  EXPECT_EQ(g.city(g.FindByName("london", "CA")).country, "CA");
}

TEST(GazetteerTest, FindByNameUnknownIsNoCity) {
  const Gazetteer& g = Builtin();
  EXPECT_EQ(g.FindByName("Nowhereville Xyzzy", "US"), kNoCity);
  EXPECT_EQ(g.FindByName("Zurich", "US"), kNoCity);
  EXPECT_EQ(g.FindByName("Zurich", "XX"), kNoCity);
  EXPECT_EQ(g.FindByName("Zurich", ""), kNoCity);
  EXPECT_EQ(g.FindByName("", "CH"), kNoCity);
  EXPECT_EQ(g.FindByName("!!!", "CH"), kNoCity);
}

TEST(GazetteerTest, SuggestRanksByPopulation) {
  const Gazetteer& g = Builtin();
  const std::vector<CityId> s = g.Suggest("minnea", 5);
  ASSERT_FALSE(s.empty());
  EXPECT_LE(s.size(), 5u);
  EXPECT_EQ(g.city(s[0]).geonameid, kMinneapolis);
  for (size_t i = 1; i < s.size(); ++i) {
    EXPECT_GE(g.city(s[i - 1]).population, g.city(s[i]).population);
    EXPECT_TRUE(g.city(s[i]).folded_name.starts_with("minnea"));
  }
  const std::vector<CityId> many = g.Suggest("S", 10);
  EXPECT_EQ(many.size(), 10u);
  EXPECT_EQ(g.city(many[0]).name, "Shanghai");  // the largest city starting with "s"
  EXPECT_TRUE(g.Suggest("", 5).empty());
  EXPECT_TRUE(g.Suggest("zzzzzzzz", 5).empty());
  EXPECT_TRUE(g.Suggest("minnea", 0).empty());
}

// Serialises cities in the gazetteer format (docs/formats/gazetteer.md), like convert.js, so
// tests can build small gazetteers and damage them in controlled ways.
struct TestCity {
  uint32_t geonameid;
  std::string name;
  std::string country;
  std::string admin;
  double lat, lon;
  uint32_t population;
};

void PutU32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }
void PutU16(std::string& out, uint16_t v) { out.append(reinterpret_cast<const char*>(&v), 2); }

std::string Serialize(std::vector<TestCity> cities, uint32_t version = 1) {
  std::sort(cities.begin(), cities.end(),
            [](const TestCity& a, const TestCity& b) { return a.geonameid < b.geonameid; });
  std::vector<std::string> countries;
  std::vector<std::string> regions;
  for (const TestCity& c : cities) {
    countries.push_back(c.country);
    regions.push_back(c.country + "-" + (c.admin.empty() ? "00" : c.admin));
  }
  for (auto* v : {&countries, &regions}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  const auto index = [](const std::vector<std::string>& v, const std::string& s) {
    return static_cast<uint16_t>(std::lower_bound(v.begin(), v.end(), s) - v.begin());
  };
  std::string pool;
  const auto add = [&](const std::string& s) {
    const auto off = static_cast<uint32_t>(pool.size());
    pool += s;
    return off;
  };
  std::string body;
  for (const std::string& c : countries) body += c;
  for (const std::string& r : regions) {
    PutU32(body, add(r));
    PutU16(body, index(countries, r.substr(0, 2)));
    body += static_cast<char>(r.size());
    body += '\0';
  }
  for (const TestCity& c : cities) {
    const std::string key = FoldName(c.name);
    PutU32(body, c.geonameid);
    PutU32(body, static_cast<uint32_t>(static_cast<int32_t>(std::lround(c.lat * 1e5))));
    PutU32(body, static_cast<uint32_t>(static_cast<int32_t>(std::lround(c.lon * 1e5))));
    PutU32(body, c.population);
    PutU32(body, add(c.name));
    PutU32(body, add(key));
    PutU16(body, index(regions, c.country + "-" + (c.admin.empty() ? "00" : c.admin)));
    body += static_cast<char>(c.name.size());
    body += static_cast<char>(key.size());
    body += std::string(4, '\0');
  }
  body += pool;
  std::string out = "OMGAZETR";
  const uint32_t total = static_cast<uint32_t>(40 + body.size() + 4);
  for (uint32_t v :
       {version, static_cast<uint32_t>(countries.size()), static_cast<uint32_t>(regions.size()),
        static_cast<uint32_t>(cities.size()), 0u, static_cast<uint32_t>(pool.size()), total, 0u}) {
    PutU32(out, v);
  }
  out += body;
  PutU32(out, crc32c::Value(out.data(), out.size()));
  return out;
}

// Recomputes the trailer checksum after a deliberate edit, to reach the structural checks.
void Reseal(std::string& bytes) {
  const uint32_t crc = crc32c::Value(bytes.data(), bytes.size() - 4);
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
}

const std::vector<TestCity> kSmall = {
    {100, "Suva", "FJ", "C", -18.14161, 178.44149, 77366},
    {200, "Labasa", "FJ", "N", -16.41667, 179.38333, 27949},
    {300, "Antimeridia", "FJ", "N", -16.5, 179.99, 2000},
    {400, "Longyearbyen", "SJ", "", 78.22334, 15.64689, 2060},
};

TEST(GazetteerTest, LoadsSerializedSmallGazetteer) {
  auto loaded = Gazetteer::LoadFromBytes(Serialize(kSmall));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Gazetteer& g = **loaded;
  ASSERT_EQ(g.city_count(), 4u);
  EXPECT_EQ(g.region_code(g.city(g.FindByGeonameId(400)).region), "SJ-00");
  EXPECT_EQ(g.city(g.FindByName("labasa", "fj")).geonameid, 200u);
  // Across the antimeridian: 2.1 km east of Antimeridia is longitude -179.99.
  EXPECT_EQ(g.city(g.Locate(-16.5, -179.99)).geonameid, 300u);
  EXPECT_EQ(g.city(g.Locate(-16.5, 180.0)).geonameid, 300u);
  EXPECT_EQ(g.Locate(-16.5, -179.0), kNoCity);  // 107 km away
}

TEST(GazetteerTest, EmptyGazetteerLoads) {
  auto loaded = Gazetteer::LoadFromBytes(Serialize({}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->city_count(), 0u);
  EXPECT_EQ((*loaded)->Locate(0, 0), kNoCity);
  EXPECT_EQ((*loaded)->FindByName("x", "US"), kNoCity);
  EXPECT_TRUE((*loaded)->Suggest("x", 3).empty());
}

void ExpectCorruption(std::string_view bytes, std::string_view what) {
  auto loaded = Gazetteer::LoadFromBytes(bytes);
  ASSERT_FALSE(loaded.ok()) << what;
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption) << what;
}

TEST(GazetteerTest, TruncatedBytesAreCorruption) {
  const std::string_view bytes = BuiltinBytes();
  ExpectCorruption(bytes.substr(0, 0), "empty");
  ExpectCorruption(bytes.substr(0, 10), "10 bytes");
  ExpectCorruption(bytes.substr(0, 44), "header only");
  ExpectCorruption(bytes.substr(0, bytes.size() / 2), "half");
  ExpectCorruption(bytes.substr(0, bytes.size() - 1), "minus one byte");
  ExpectCorruption(std::string(bytes) + "x", "one extra byte");
}

TEST(GazetteerTest, FlippedByteIsCorruption) {
  std::string bytes(BuiltinBytes());
  for (size_t pos : {size_t{0}, size_t{9}, size_t{100}, bytes.size() / 3, bytes.size() - 1}) {
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0x20);
    ExpectCorruption(bytes, "flip at " + std::to_string(pos));
    bytes[pos] = static_cast<char>(bytes[pos] ^ 0x20);
  }
}

TEST(GazetteerTest, BadStructureBehindValidChecksumIsCorruption) {
  const std::string good = Serialize(kSmall);
  ExpectCorruption(Serialize(kSmall, /*version=*/2), "version 2");
  {
    std::string bad = good;
    bad[20] = 9;  // city_count 4 -> 9: sizes no longer add up
    Reseal(bad);
    ExpectCorruption(bad, "city count");
  }
  uint32_t countries = 0;
  uint32_t regions = 0;
  std::memcpy(&countries, good.data() + 12, 4);
  std::memcpy(&regions, good.data() + 16, 4);
  const size_t first_city = 40 + 2 * countries + 8 * regions;
  {
    std::string bad = good;
    bad[first_city + 24] = 7;  // region index out of range
    Reseal(bad);
    ExpectCorruption(bad, "region index");
  }
  {
    std::string bad = good;
    bad[first_city + 7] = 0x7f;  // latitude far beyond 90°
    Reseal(bad);
    ExpectCorruption(bad, "latitude");
  }
  {
    std::string bad = good;
    bad[first_city + 19] = 0x7f;  // name offset beyond the string pool
    Reseal(bad);
    ExpectCorruption(bad, "name offset");
  }
  {
    std::string bad = good;
    std::swap_ranges(bad.begin() + first_city, bad.begin() + first_city + 4,
                     bad.begin() + first_city + 32);  // geonameids out of order
    Reseal(bad);
    ExpectCorruption(bad, "order");
  }
}

TEST(GazetteerTest, AnyResealedByteFlipIsHandled) {
  // A checksum only catches accidents; the loader itself must survive any content.
  const std::string good = Serialize(kSmall);
  for (size_t pos = 0; pos + 4 < good.size(); ++pos) {
    for (uint8_t mask : {0x01, 0x80}) {
      std::string bad = good;
      bad[pos] = static_cast<char>(bad[pos] ^ mask);
      Reseal(bad);
      auto loaded = Gazetteer::LoadFromBytes(bad);
      if (loaded.ok()) {
        const Gazetteer& g = **loaded;
        for (CityId id = 0; id < g.city_count(); ++id) (void)g.Locate(g.city(id).lat, 0);
        (void)g.FindByName("suva", "FJ");
        (void)g.Suggest("l", 3);
      } else {
        EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
      }
    }
  }
}

TEST(GeoMathTest, DistanceKm) {
  EXPECT_NEAR(DistanceKm(0, 0, 0, 1), 111.195, 0.01);
  EXPECT_NEAR(DistanceKm(0, 179.5, 0, -179.5), 111.195, 0.01);  // across the antimeridian
  EXPECT_NEAR(DistanceKm(89.5, 0, 89.5, 180), 111.195, 0.01);   // over the pole
  EXPECT_NEAR(DistanceKm(51.50853, -0.12574, 48.85341, 2.3488), 343.6, 0.5);  // London-Paris
  EXPECT_EQ(DistanceKm(10, 20, 10, 20), 0.0);
}

TEST(GeoMathTest, UrbanRadius) {
  EXPECT_EQ(UrbanRadiusKm(1000), kMinUrbanRadiusKm);
  EXPECT_NEAR(UrbanRadiusKm(400000), 7.9, 0.1);
  EXPECT_NEAR(UrbanRadiusKm(4000000), 25.0, 0.1);
  EXPECT_EQ(UrbanRadiusKm(20000000), kMaxUrbanRadiusKm);
}

}  // namespace
}  // namespace om::geo
