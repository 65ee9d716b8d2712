#include "api/admission.h"

#include <algorithm>
#include <limits>

namespace om::api {
namespace {

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
// A limit this large is no limit: raising it stops there.
constexpr size_t kLargestFiniteLimit = size_t{1} << 20;
// Weight of the newest interval in the moving average of answers per second: about the last
// four intervals count.
constexpr double kRateWeight = 0.25;
// Intervals judged at once after a pause; past these the state is that of a long idle time
// (limit lifted, rate near zero), so more would change nothing.
constexpr int kMostIntervalsClosed = 32;

}  // namespace

DelayAdmission::DelayAdmission(DelayAdmissionOptions options)
    : options_(options), limit_(kNoLimit) {}

void DelayAdmission::Advance(TimePoint now) {
  if (interval_end_ == TimePoint{}) {
    interval_end_ = now + options_.interval;
    return;
  }
  const double interval_seconds = std::chrono::duration<double>(options_.interval).count();
  for (int closed = 0; now >= interval_end_; ++closed) {
    if (closed == kMostIntervalsClosed) {
      // A long pause: skip the remaining empty intervals.
      interval_end_ = now + options_.interval;
      break;
    }
    const double rate = static_cast<double>(answers_) / interval_seconds;
    answer_rate_ = (1 - kRateWeight) * answer_rate_ + kRateWeight * rate;
    if (answers_ == 0) {
      // Nothing answered and nothing waiting is an idle server: no limit. Nothing answered while
      // a body has waited longer than the target is a queue that stands still (the server is
      // sharing itself among too many bodies for any to finish); a younger one is just slow.
      last_min_sojourn_ms_ = 0;
      if (in_flight_ == 0) {
        standing_ = false;
        limit_ = kNoLimit;
      } else if (interval_end_ - OldestAdmittedAtMost() > options_.target) {
        standing_ = true;
        limit_ = LittlesLimit();
      }
    } else {
      standing_ = min_sojourn_ > options_.target;
      last_min_sojourn_ms_ = std::chrono::duration<double, std::milli>(min_sojourn_).count();
      if (standing_) {
        limit_ = LittlesLimit();
      } else if (min_sojourn_ < options_.target / 2 && limit_ != kNoLimit) {
        // Clearly under the target: raise the limit by an eighth. Slowly, because the sojourns
        // seen now are of requests admitted a sojourn ago: doubling would overshoot before
        // the queue it builds shows.
        limit_ = limit_ >= kLargestFiniteLimit ? kNoLimit : limit_ + limit_ / 8 + 1;
      }
    }
    answers_ = 0;
    interval_end_ += options_.interval;
  }
}

size_t DelayAdmission::LittlesLimit() const {
  // Little's law: in flight = rate x delay. Half the target leaves the quickest answers of the
  // next intervals below it, so the limit is not held at the edge.
  const double fits = answer_rate_ * std::chrono::duration<double>(options_.target).count() / 2;
  return std::max(options_.min_in_flight, static_cast<size_t>(fits));
}

int64_t DelayAdmission::Slice(TimePoint t) const {
  return (t - TimePoint{}) / (options_.interval / kSlicesPerInterval);
}

DelayAdmission::TimePoint DelayAdmission::OldestAdmittedAtMost() const {
  // The end of the oldest slice with a body in flight: every body of it was admitted by then.
  return TimePoint{} +
         (in_flight_by_slice_.begin()->first + 1) * (options_.interval / kSlicesPerInterval);
}

bool DelayAdmission::Admit(TimePoint now) {
  MutexLock lock(mu_);
  if (options_.target.count() > 0) {
    Advance(now);
    if (in_flight_ >= limit_ && in_flight_ >= options_.min_in_flight) return false;
  }
  ++in_flight_;
  ++in_flight_by_slice_[Slice(now)];
  return true;
}

void DelayAdmission::Answered(TimePoint admitted_at, TimePoint now) {
  MutexLock lock(mu_);
  auto it = in_flight_by_slice_.find(Slice(admitted_at));
  if (it != in_flight_by_slice_.end()) {
    --in_flight_;
    if (--it->second == 0) in_flight_by_slice_.erase(it);
  }
  if (options_.target.count() == 0) return;
  Advance(now);
  const auto sojourn = now - admitted_at;
  if (answers_ == 0 || sojourn < min_sojourn_) min_sojourn_ = sojourn;
  ++answers_;
}

bool DelayAdmission::queue_standing() const {
  MutexLock lock(mu_);
  return standing_;
}

size_t DelayAdmission::limit() const {
  MutexLock lock(mu_);
  return limit_;
}

size_t DelayAdmission::in_flight() const {
  MutexLock lock(mu_);
  return in_flight_;
}

double DelayAdmission::last_min_sojourn_ms() const {
  MutexLock lock(mu_);
  return last_min_sojourn_ms_;
}

}  // namespace om::api
