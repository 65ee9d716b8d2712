#include "base/periodic_thread.h"

#include <atomic>

#include <gtest/gtest.h>

namespace om {
namespace {

// Waits (at most 5 s) until `rounds` reaches `n`.
bool Reaches(const std::atomic<int>& rounds, int n) {
  for (int i = 0; i < 500 && rounds.load() < n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return rounds.load() >= n;
}

TEST(PeriodicThreadTest, RunsAtOnceThenEachPeriodUntilStopped) {
  std::atomic<int> rounds{0};
  PeriodicThread worker;
  EXPECT_FALSE(worker.running());
  worker.Start(std::chrono::milliseconds(10), [&] { ++rounds; });
  EXPECT_TRUE(worker.running());
  EXPECT_TRUE(Reaches(rounds, 3));
  worker.Stop();
  EXPECT_FALSE(worker.running());
  int after = rounds.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(rounds.load(), after) << "no round after Stop";
  worker.Stop();  // twice is fine
}

TEST(PeriodicThreadTest, WakeRunsTheNextRoundBeforeTheLongPeriodEnds) {
  std::atomic<int> rounds{0};
  PeriodicThread worker;
  worker.Start(std::chrono::hours(1), [&] { ++rounds; });
  ASSERT_TRUE(Reaches(rounds, 1));
  worker.Wake();
  EXPECT_TRUE(Reaches(rounds, 2)) << "woken rounds do not wait for the hour";
  // Stop does not wait for the hour either.
  worker.Stop();
  EXPECT_EQ(rounds.load(), 2);
  PeriodicThread idle;
  idle.Wake();  // not running: nothing to do
  EXPECT_FALSE(idle.running());
}

}  // namespace
}  // namespace om
