#include "detect/poisson.h"

#include <cmath>

#include <gtest/gtest.h>

namespace om::detect {
namespace {

TEST(PoissonTest, MatchesClosedFormForSmallCounts) {
  // P(X >= 1 | mu) = 1 - e^-mu.
  EXPECT_NEAR(PoissonUpperTailScore(1, 0.5), -std::log10(1 - std::exp(-0.5)), 1e-9);
  // P(X >= 3 | mu = 1) = 1 - e^-1 (1 + 1 + 1/2).
  EXPECT_NEAR(PoissonUpperTailScore(3, 1), -std::log10(1 - std::exp(-1.0) * 2.5), 1e-9);
}

TEST(PoissonTest, NoExcessScoresZeroAndFarTailIsFinite) {
  EXPECT_EQ(PoissonUpperTailScore(5, 10), 0);
  EXPECT_EQ(PoissonUpperTailScore(10, 10), 0);
  double far = PoissonUpperTailScore(1000, 1);
  EXPECT_TRUE(std::isfinite(far));
  EXPECT_GT(far, 200);
  EXPECT_LE(far, 300);
}

TEST(PoissonTest, GrowsWithExcess) {
  EXPECT_LT(PoissonUpperTailScore(15, 10), PoissonUpperTailScore(20, 10));
  EXPECT_LT(PoissonUpperTailScore(20, 10), PoissonUpperTailScore(40, 10));
}

TEST(PoissonTest, OverdispersionTamesLargeCounts) {
  // 10% above 1000 expected is wildly significant for a pure Poisson, ordinary for crowd counts.
  EXPECT_GT(PoissonUpperTailScore(1100, 1000), 3);
  EXPECT_LT(OverdispersedTailScore(1100, 1000, 0.05), 1);
  // A tenfold rise still stands out.
  EXPECT_GT(OverdispersedTailScore(10000, 1000, 0.05), 8);
  // For small counts the scaling changes little.
  EXPECT_NEAR(OverdispersedTailScore(12, 2, 0.05), PoissonUpperTailScore(12, 2), 1.5);
}

TEST(PoissonTest, ExcessScoreIsTheLikelihoodRatioOfAnExcessOnly) {
  EXPECT_EQ(PoissonExcessScore(3, 5), 0);
  EXPECT_EQ(PoissonExcessScore(5, 5), 0);
  EXPECT_NEAR(PoissonExcessScore(20, 5), 20 * std::log(4.0) - 15, 1e-12);
  // Tenfold in a small city outranks 1.3-fold in a metropolis.
  EXPECT_GT(PoissonExcessScore(48, 4), 5 * PoissonExcessScore(39, 30));
}

}  // namespace
}  // namespace om::detect
