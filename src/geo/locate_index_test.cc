#include "geo/locate_index.h"

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace om::geo {
namespace {

LocateSite Site(double lat, double lon, uint32_t population) {
  return {.lat = lat, .lon = lon, .radius_km = UrbanRadiusKm(population), .population = population};
}

TEST(LocateIndexTest, EmptyIndexFindsNothing) {
  auto index = LocateIndex::Build({});
  EXPECT_EQ(index->Locate(0, 0), kNoCity);
  EXPECT_EQ(index->Locate(90, 0), kNoCity);
}

TEST(LocateIndexTest, NearestCityWhenOutsideEveryRadius) {
  const std::vector<LocateSite> sites = {Site(10.0, 10.0, 5000), Site(10.0, 10.3, 5000)};
  auto index = LocateIndex::Build(sites);
  EXPECT_EQ(index->Locate(10.0, 10.1), 0u);
  EXPECT_EQ(index->Locate(10.0, 10.2), 1u);
  EXPECT_EQ(index->Locate(10.0, 10.3 + 0.44), 1u);       // 48 km east
  EXPECT_EQ(index->Locate(10.0, 10.3 + 0.48), kNoCity);  // 52 km east
}

TEST(LocateIndexTest, LargestContainingRadiusWins) {
  // A 1M city (12.5 km radius) and a 20k suburb 10 km away: the suburb's own centre counts
  // toward the big city; 14 km out on the far side of the suburb it is the suburb again.
  const std::vector<LocateSite> sites = {Site(0.0, 0.0, 1000000), Site(0.0, 0.0899, 20000)};
  auto index = LocateIndex::Build(sites);
  EXPECT_EQ(index->Locate(0.0, 0.0899), 0u);
  EXPECT_EQ(index->Locate(0.0, 0.126), 1u);
}

TEST(LocateIndexTest, EqualPopulationsPreferLowerId) {
  // Both radii (2.8 km) contain the midpoint; the tie goes to the lower id.
  const std::vector<LocateSite> sites = {Site(0.0, 0.02, 50000), Site(0.0, 0.0, 50000)};
  auto index = LocateIndex::Build(sites);
  EXPECT_EQ(index->Locate(0.0, 0.01), 0u);
}

TEST(LocateIndexTest, WorksAcrossTheAntimeridian) {
  const std::vector<LocateSite> sites = {Site(-17.0, 179.95, 3000), Site(-17.0, -179.5, 3000)};
  auto index = LocateIndex::Build(sites);
  EXPECT_EQ(index->Locate(-17.0, -179.97), 0u);  // 8.5 km across the line
  EXPECT_EQ(index->Locate(-17.0, 179.999), 0u);
  EXPECT_EQ(index->Locate(-17.0, -180.0), 0u);
  EXPECT_EQ(index->Locate(-17.0, 180.0), 0u);
  EXPECT_EQ(index->Locate(-17.0, -179.6), 1u);
}

TEST(LocateIndexTest, WorksNearThePoles) {
  const std::vector<LocateSite> sites = {Site(89.9, 0.0, 1000), Site(-89.8, 45.0, 1000)};
  auto index = LocateIndex::Build(sites);
  EXPECT_EQ(index->Locate(90.0, 0.0), 0u);
  EXPECT_EQ(index->Locate(89.9, 180.0), 0u);  // 22 km over the pole
  EXPECT_EQ(index->Locate(89.7, 90.0), 0u);
  EXPECT_EQ(index->Locate(-90.0, 0.0), 1u);
  EXPECT_EQ(index->Locate(-89.8, -135.0), 1u);  // 44 km over the pole
  EXPECT_EQ(index->Locate(0.0, 0.0), kNoCity);
}

TEST(LocateIndexTest, RejectsInvalidCoordinates) {
  const std::vector<LocateSite> sites = {Site(0.0, 0.0, 1000)};
  auto index = LocateIndex::Build(sites);
  EXPECT_EQ(index->Locate(0.0, 360.0), 0u);
  EXPECT_EQ(index->Locate(90.0001, 0.0), kNoCity);
  EXPECT_EQ(index->Locate(-90.0001, 0.0), kNoCity);
  EXPECT_EQ(index->Locate(NAN, 0.0), kNoCity);
  EXPECT_EQ(index->Locate(0.0, NAN), kNoCity);
  EXPECT_EQ(index->Locate(0.0, -INFINITY), kNoCity);
}

// Dense random clusters with big and small cities; every answer must match a brute-force pass
// over all sites (skipping points within 50 m of a decision boundary).
TEST(LocateIndexTest, MatchesBruteForceOnRandomClusters) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> lat_dist(-70, 70);
  std::uniform_real_distribution<double> lon_dist(-180, 180);
  std::normal_distribution<double> spread(0.0, 0.3);
  std::lognormal_distribution<double> pop(8.5, 1.6);
  std::vector<LocateSite> sites;
  std::vector<std::pair<double, double>> centres;
  for (int cluster = 0; cluster < 40; ++cluster) {
    const double clat = lat_dist(rng);
    const double clon = cluster < 5 ? 179.8 : lon_dist(rng);  // some straddle the antimeridian
    centres.emplace_back(clat, clon);
    for (int i = 0; i < 60; ++i) {
      double lon = clon + spread(rng);
      if (lon >= 180) lon -= 360;
      if (lon < -180) lon += 360;
      sites.push_back(Site(std::clamp(clat + spread(rng), -90.0, 90.0), lon,
                           static_cast<uint32_t>(std::min(2e7, 1000 + pop(rng)))));
    }
  }
  auto index = LocateIndex::Build(sites);
  int checked = 0;
  for (int q = 0; q < 3000; ++q) {
    const auto& [clat, clon] = centres[q % centres.size()];
    const double lat = std::clamp(clat + 2 * spread(rng), -90.0, 90.0);
    const double lon = clon + 2 * spread(rng);
    CityId in_circle = kNoCity;
    CityId nearest = kNoCity;
    double nearest_km = kMaxPlaceDistanceKm;
    double second_km = 1e9;
    bool ambiguous = false;
    for (CityId id = 0; id < sites.size(); ++id) {
      const double d = DistanceKm(lat, lon, sites[id].lat, sites[id].lon);
      if (std::abs(d - sites[id].radius_km) < 0.05) ambiguous = true;
      if (d <= sites[id].radius_km &&
          (in_circle == kNoCity || sites[id].population > sites[in_circle].population)) {
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
    if (ambiguous) continue;
    if (in_circle == kNoCity &&
        (second_km - nearest_km < 0.05 || std::abs(nearest_km - kMaxPlaceDistanceKm) < 0.05)) {
      continue;
    }
    ++checked;
    ASSERT_EQ(index->Locate(lat, lon), in_circle != kNoCity ? in_circle : nearest)
        << "query " << q << " at " << lat << "," << lon;
  }
  EXPECT_GT(checked, 2000);
  EXPECT_LE(index->max_leaf_size(), 64u);
}

}  // namespace
}  // namespace om::geo
