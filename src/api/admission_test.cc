#include "api/admission.h"

#include <deque>
#include <limits>

#include <gtest/gtest.h>

namespace om::api {
namespace {

using std::chrono::milliseconds;
using TimePoint = DelayAdmission::TimePoint;

constexpr TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

DelayAdmission Make() {
  return DelayAdmission(
      {.target = milliseconds(500), .interval = milliseconds(100), .min_in_flight = 4});
}

// A server that answers `capacity_per_ms` requests a millisecond, oldest first, offered `offered`
// requests a millisecond for `ms` milliseconds from `*now`. Counts what was admitted and refused
// and the longest sojourn of an admitted request.
struct Simulation {
  Simulation(DelayAdmission& under_test, TimePoint start) : admission(under_test), now(start) {}

  DelayAdmission& admission;
  TimePoint now;
  std::deque<TimePoint> queue;
  int admitted = 0;
  int refused = 0;
  milliseconds longest{0};

  void Run(int offered, int capacity_per_ms, int ms) {
    admitted = refused = 0;
    longest = milliseconds(0);
    for (int t = 0; t < ms; ++t) {
      now += milliseconds(1);
      for (int i = 0; i < offered; ++i) {
        if (admission.Admit(now)) {
          queue.push_back(now);
          ++admitted;
        } else {
          ++refused;
        }
      }
      for (int i = 0; i < capacity_per_ms && !queue.empty(); ++i) {
        admission.Answered(queue.front(), now);
        longest = std::max(longest, std::chrono::duration_cast<milliseconds>(now - queue.front()));
        queue.pop_front();
      }
    }
  }
};

TEST(DelayAdmissionTest, ALoadTheServerKeepsUpWithIsNeverRefused) {
  DelayAdmission admission = Make();
  Simulation sim(admission, kT0);
  sim.Run(/*offered=*/1, /*capacity_per_ms=*/2, /*ms=*/5000);
  EXPECT_EQ(sim.refused, 0);
  EXPECT_FALSE(admission.queue_standing());
  EXPECT_EQ(admission.limit(), std::numeric_limits<size_t>::max());
}

TEST(DelayAdmissionTest, ABurstThatDrainsWithinTheTargetIsNotRefused) {
  DelayAdmission admission = Make();
  Simulation sim(admission, kT0);
  // 300 requests at once, answered 2 a millisecond: the last waits 150 ms, under the target.
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(admission.Admit(kT0)) << i;
  for (int i = 0; i < 300; ++i) sim.queue.push_back(kT0);
  sim.Run(/*offered=*/0, /*capacity_per_ms=*/2, /*ms=*/400);
  EXPECT_TRUE(sim.queue.empty());
  EXPECT_FALSE(admission.queue_standing());
  sim.Run(/*offered=*/1, /*capacity_per_ms=*/2, /*ms=*/1000);
  EXPECT_EQ(sim.refused, 0);
}

TEST(DelayAdmissionTest, TenTimesTheCapacityIsRefusedAndWhatIsAdmittedIsAnsweredInTime) {
  DelayAdmission admission = Make();
  Simulation sim(admission, kT0);
  // Offered 10 a millisecond, answered 1: without admission control the queue would grow by 9
  // a millisecond and a request admitted at the end of 10 s would wait 90 s.
  // The first half second of the flood is admitted before its queue shows (as a burst would
  // be), about 5 s of work: the limit then holds new bodies back while it drains.
  sim.Run(/*offered=*/10, /*capacity_per_ms=*/1, /*ms=*/8000);
  EXPECT_LT(admission.limit(), 2000u);
  sim.Run(/*offered=*/10, /*capacity_per_ms=*/1, /*ms=*/10000);
  // About the capacity is admitted (1 a millisecond), the rest refused at once.
  EXPECT_GT(sim.admitted, 8000);
  EXPECT_LT(sim.admitted, 11000);
  EXPECT_GT(sim.refused, 85000);
  // Admitted requests wait about half the target, never more than twice it.
  EXPECT_LE(sim.longest, milliseconds(1000));
  EXPECT_LT(sim.queue.size(), 1000u);
}

TEST(DelayAdmissionTest, TheLimitLiftsWithinAFewIntervalsOfTheFloodEnding) {
  DelayAdmission admission = Make();
  Simulation sim(admission, kT0);
  sim.Run(/*offered=*/10, /*capacity_per_ms=*/1, /*ms=*/10000);
  ASSERT_GT(sim.refused, 0);
  // The flood ends; what was admitted drains (under a second at the limit), then a load the
  // server keeps up with follows.
  sim.Run(/*offered=*/0, /*capacity_per_ms=*/1, /*ms=*/1000);
  EXPECT_TRUE(sim.queue.empty());
  sim.Run(/*offered=*/1, /*capacity_per_ms=*/2, /*ms=*/3000);
  EXPECT_EQ(sim.refused, 0);
  EXPECT_FALSE(admission.queue_standing());
  EXPECT_EQ(admission.limit(), std::numeric_limits<size_t>::max());
}

TEST(DelayAdmissionTest, OneClientsSlowBatchesAreAlwaysAdmitted) {
  // Each batch takes 2 s, four times the target, but one at a time is under min_in_flight.
  DelayAdmission admission = Make();
  TimePoint now = kT0;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(admission.Admit(now)) << i;
    now += milliseconds(2000);
    admission.Answered(now - milliseconds(2000), now);
  }
  EXPECT_EQ(admission.in_flight(), 0u);
}

TEST(DelayAdmissionTest, NothingAnsweredWhileBodiesWaitKeepsTheQueueStanding) {
  DelayAdmission admission = Make();
  Simulation sim(admission, kT0);
  sim.Run(/*offered=*/10, /*capacity_per_ms=*/1, /*ms=*/3000);
  ASSERT_TRUE(admission.queue_standing());
  // The server stalls (answers nothing) for a second with bodies waiting: still standing, and
  // at most the limit is admitted.
  sim.Run(/*offered=*/10, /*capacity_per_ms=*/0, /*ms=*/1000);
  EXPECT_TRUE(admission.queue_standing());
  EXPECT_LT(sim.admitted, 2000);
}

TEST(DelayAdmissionTest, BodiesThatAllWaitWithNothingAnsweredMakeAStandingQueue) {
  // A server sharing itself among thousands of bodies answers none of them for seconds: no
  // answer ever shows the delay, but the oldest body in flight does.
  DelayAdmission admission = Make();
  TimePoint now = kT0;
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(admission.Admit(now)) << i;
  now += milliseconds(400);
  EXPECT_TRUE(admission.Admit(now)) << "the oldest has waited 400 ms, under the target";
  now += milliseconds(200);
  EXPECT_FALSE(admission.Admit(now)) << "the oldest has waited 600 ms";
  EXPECT_TRUE(admission.queue_standing());
  EXPECT_EQ(admission.limit(), 4u) << "nothing answered: min_in_flight";
}

TEST(DelayAdmissionTest, ZeroTargetAdmitsEverything) {
  DelayAdmission admission({.target = milliseconds(0)});
  Simulation sim(admission, kT0);
  sim.Run(/*offered=*/10, /*capacity_per_ms=*/1, /*ms=*/3000);
  EXPECT_EQ(sim.refused, 0);
  EXPECT_EQ(admission.in_flight(), sim.queue.size());
}

}  // namespace
}  // namespace om::api
