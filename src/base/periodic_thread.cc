#include "base/periodic_thread.h"

namespace om {

void PeriodicThread::Start(std::chrono::milliseconds period, std::function<void()> round) {
  period_ = period;
  round_ = std::move(round);
  {
    MutexLock lock(mu_);
    stop_ = false;
    wake_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void PeriodicThread::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::Wake() {
  MutexLock lock(mu_);
  wake_ = true;
  cv_.SignalAll();
}

void PeriodicThread::Run() {
  for (;;) {
    round_();
    MutexLock lock(mu_);
    if (stop_) return;
    if (!wake_) cv_.WaitFor(period_);
    wake_ = false;
    if (stop_) return;
  }
}

}  // namespace om
