#pragma once
// DelayAdmission: past its capacity, the server refuses new request bodies at once (503 with
// Retry-After, before the body is read) instead of taking them all and answering every one late.
// A server offered ten times what it can take otherwise queues: in the kernel, in its connections
// and in its write queue, and every client, the ones it does serve included, waits tens of seconds
// and times out.
//
// The signal is the sojourn of a request with a body: the time from its head being read to its
// answer, or, while nothing is answered, the age of the oldest body in flight. As in CoDel (K.
// Nichols, V. Jacobson, "Controlling Queue Delay", ACM Queue 10(5), 2012), a queue is judged to be
// standing, rather than a burst passing through, when even the quickest answer of an interval took
// longer than the target: a burst leaves some request answered quickly. While a queue stands, the
// bodies in flight are limited to what Little's law says keeps the delay near half the target: the
// answers per second (a moving average over intervals) times half the target, and never fewer than
// `min_in_flight`, so that one client's large batches pass whatever they take. An interval whose
// quickest answer took under half the target raises the limit by an eighth (slowly: the sojourns
// seen now are of requests admitted a sojourn ago), and an idle interval (nothing answered, nothing
// in flight) lifts it, so the server opens up again once the flood has drained. The first target's
// worth of a flood is admitted before its queue shows, as a burst is.
//
// Time is passed in (steady clock), so tests drive it. Thread-safety: every method from any thread
// (one mutex, held for a few arithmetic operations per request with a body).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>

#include "base/mutex.h"

namespace om::api {

struct DelayAdmissionOptions {
  // The sojourn a standing queue may not exceed; zero turns admission control off (every body
  // is admitted).
  std::chrono::milliseconds target{100};
  // Intervals in which the quickest sojourn is judged.
  std::chrono::milliseconds interval{100};
  // Bodies always admitted while fewer than this are in flight.
  size_t min_in_flight = 8;
};

class DelayAdmission {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit DelayAdmission(DelayAdmissionOptions options);

  // Whether a request whose head was read at `now` may read its body. When true the caller
  // must call Answered() once, with `now` as `admitted_at`, when the request is answered (or
  // its connection ends). Costs O(log slices of time with a body in flight).
  bool Admit(TimePoint now);
  // A request admitted at `admitted_at` is answered at `now`.
  void Answered(TimePoint admitted_at, TimePoint now);

  // For metrics and tests.
  bool queue_standing() const;
  // The bodies admitted at once while the queue stands (SIZE_MAX: no limit).
  size_t limit() const;
  size_t in_flight() const;
  // The quickest sojourn of the last full interval, in ms (0 when nothing was answered in it).
  double last_min_sojourn_ms() const;

 private:
  // Closes every interval that ended by `now`: judges it, updates the rate and the limit.
  void Advance(TimePoint now) OM_REQUIRES(mu_);
  // The bodies in flight that keep the delay near half the target at the answer rate.
  size_t LittlesLimit() const OM_REQUIRES(mu_);
  static constexpr int kSlicesPerInterval = 10;
  int64_t Slice(TimePoint t) const;
  // A time by which the oldest body in flight had been admitted. REQUIRES: in_flight_ > 0.
  TimePoint OldestAdmittedAtMost() const OM_REQUIRES(mu_);

  const DelayAdmissionOptions options_;
  mutable Mutex mu_;
  TimePoint interval_end_ OM_GUARDED_BY(mu_){};
  // Of the interval running: the answers, and the quickest sojourn among them.
  size_t answers_ OM_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::duration min_sojourn_ OM_GUARDED_BY(mu_){};
  // Answers per second, a moving average over intervals.
  double answer_rate_ OM_GUARDED_BY(mu_) = 0;
  bool standing_ OM_GUARDED_BY(mu_) = false;
  size_t limit_ OM_GUARDED_BY(mu_);
  // Bodies in flight, and how many were admitted in each slice of time (a tenth of an
  // interval): the age of the oldest to within a slice, without a node per request.
  size_t in_flight_ OM_GUARDED_BY(mu_) = 0;
  std::map<int64_t, size_t> in_flight_by_slice_ OM_GUARDED_BY(mu_);
  double last_min_sojourn_ms_ OM_GUARDED_BY(mu_) = 0;
};

}  // namespace om::api
