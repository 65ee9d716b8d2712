#include "server/detector_thread.h"

#include <algorithm>

namespace om::server {

DetectorThread::DetectorThread(detect::Detector& detector, incidents::IncidentTracker& incidents,
                               store::Store& store, const Clock& clock, Duration grace,
                               std::function<void()> after_minutes)
    : detector_(detector),
      incidents_(incidents),
      store_(store),
      clock_(clock),
      grace_(grace),
      after_minutes_(std::move(after_minutes)) {}

DetectorThread::~DetectorThread() { Stop(); }

void DetectorThread::Start() {
  worker_.Start(std::chrono::milliseconds(200), [this] { Round(); });
}

void DetectorThread::Stop() { worker_.Stop(); }

void DetectorThread::Round() {
  int64_t complete = MinuteOf(clock_.Now() - grace_) - 1;
  if (last_ == INT64_MIN) last_ = complete - 30;
  if (complete <= last_) return;
  for (int64_t m = std::max(last_ + 1, complete - 60); m <= complete; ++m) {
    store_.Read([&](const store::Aggregates& a) {
      detector_.Tick(a, m);
      incidents_.Update(a, *detector_.Snapshot());
      return 0;
    });
  }
  last_ = complete;
  if (after_minutes_) after_minutes_();
}

}  // namespace om::server
