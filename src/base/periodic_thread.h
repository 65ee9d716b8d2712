#pragma once
// PeriodicThread runs a caller's round on a thread of its own: at once, then again each time the
// period passes or Wake() is called, until Stop(). A round in progress finishes before Stop
// returns; rounds never overlap. The server's background loops (detection, notifications,
// official status polls, live events) are each one of these.
//
//   PeriodicThread worker;
//   worker.Start(std::chrono::seconds(1), [this] { PollDue(); });
//   ...
//   worker.Stop();  // also done by the destructor
//
// Thread-safety: Start and Stop from the owning thread; Wake from any thread.

#include <chrono>
#include <functional>
#include <thread>

#include "base/mutex.h"

namespace om {

class PeriodicThread {
 public:
  PeriodicThread() = default;
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Starts the thread. REQUIRES: not running.
  void Start(std::chrono::milliseconds period, std::function<void()> round);
  // Stops and joins the thread, if it runs.
  void Stop();
  // Runs the next round now instead of at the end of the period (a no-op when not running).
  void Wake();
  bool running() const { return thread_.joinable(); }

 private:
  void Run();

  std::chrono::milliseconds period_{0};
  std::function<void()> round_;
  Mutex mu_;
  CondVar cv_{mu_};
  bool stop_ OM_GUARDED_BY(mu_) = false;
  bool wake_ OM_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace om
