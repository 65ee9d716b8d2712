#include "cluster/partition.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace om::cluster {
namespace {

TEST(PartitionTest, IsStableAcrossCallsAndFixedByFormat) {
  // The assignment is part of the stream's format: these values must never change.
  EXPECT_EQ(PartitionOf("outlook", 64), PartitionOf("outlook", 64));
  EXPECT_EQ(PartitionOf("", 64), 0u);  // CRC-32C of no bytes is 0
  EXPECT_EQ(PartitionOf("123456789", 1u << 31),
            0xe3069283u % (1u << 31));  // the CRC-32C check value
}

TEST(PartitionTest, StaysInRangeAndSpreadsServices) {
  std::map<uint32_t, int> per_partition;
  for (int i = 0; i < 6400; ++i) {
    uint32_t p = PartitionOf("service-" + std::to_string(i), 64);
    ASSERT_LT(p, 64u);
    ++per_partition[p];
  }
  EXPECT_EQ(per_partition.size(), 64u);
  for (const auto& [partition, count] : per_partition) {
    // 100 expected per partition; a fair hash stays well inside [50, 150].
    EXPECT_GT(count, 50) << "partition " << partition;
    EXPECT_LT(count, 150) << "partition " << partition;
  }
}

TEST(PartitionTest, OnePartitionTakesEverything) {
  EXPECT_EQ(PartitionOf("outlook", 1), 0u);
  EXPECT_EQ(PartitionOf("teams", 1), 0u);
}

TEST(PartitionTest, SubjectNamesThePartition) {
  EXPECT_EQ(ReportSubject(0), "om.reports.0");
  EXPECT_EQ(ReportSubject(63), "om.reports.63");
}

}  // namespace
}  // namespace om::cluster
