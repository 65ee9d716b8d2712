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
  {
    MutexLock lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void DetectorThread::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void DetectorThread::Run() {
  int64_t last = INT64_MIN;
  for (;;) {
    int64_t complete = MinuteOf(clock_.Now() - grace_) - 1;
    if (last == INT64_MIN) last = complete - 30;
    if (complete > last) {
      for (int64_t m = std::max(last + 1, complete - 60); m <= complete; ++m) {
        store_.Read([&](const store::Aggregates& a) {
          detector_.Tick(a, m);
          incidents_.Update(a, *detector_.Snapshot());
          return 0;
        });
      }
      last = complete;
      if (after_minutes_) after_minutes_();
    }
    MutexLock lock(mu_);
    if (stop_) return;
    cv_.WaitFor(std::chrono::milliseconds(200));
    if (stop_) return;
  }
}

}  // namespace om::server
