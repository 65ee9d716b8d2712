#include "pipeline/learned_dispersion.h"

#include <cmath>

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "testing/temp_dir.h"

namespace om::pipeline {
namespace {

detect::DetectionSnapshot SnapshotOf(std::initializer_list<std::pair<const char*, double>> rows) {
  detect::DetectionSnapshot snapshot;
  for (const auto& [service, dispersion] : rows) {
    detect::ServiceState s;
    s.service = service;
    s.dispersion = dispersion;
    snapshot.index.emplace(s.service, snapshot.services.size());
    snapshot.services.push_back(s);
  }
  return snapshot;
}

TEST(LearnedDispersionsTest, SavedValuesSurviveReopeningAndUpdateInPlace) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  {
    auto learned = LearnedDispersions::Open(*dir_meta);
    ASSERT_TRUE(learned.ok()) << learned.status().ToString();
    auto empty = (*learned)->Load();
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
    // "young" has not been ticked yet (dispersion NaN): it is not saved.
    ASSERT_TRUE(
        (*learned)->Save(SnapshotOf({{"ibm", 0.99}, {"cvs", 0.02}, {"young", NAN}}), 1000).ok());
    ASSERT_TRUE((*learned)->Save(SnapshotOf({{"ibm", 1.7}}), 2000).ok());
  }
  auto reopened = LearnedDispersions::Open(*dir_meta);
  ASSERT_TRUE(reopened.ok());
  auto loaded = (*reopened)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->size(), 2u);
  EXPECT_DOUBLE_EQ(loaded->at("ibm"), 1.7) << "the later save wins";
  EXPECT_DOUBLE_EQ(loaded->at("cvs"), 0.02) << "a service missing from a save keeps its value";
  EXPECT_EQ(loaded->count("young"), 0u);
}

}  // namespace
}  // namespace om::pipeline
