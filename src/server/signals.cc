#include "server/signals.h"

#include <signal.h>

#include "base/log.h"

namespace om::server {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

bool WaitForStopSignal(int64_t timeout_ms) {
  sigset_t set = StopSignals();
  int sig;
  if (timeout_ms < 0) {
    if (sigwait(&set, &sig) != 0) return false;
  } else {
    timespec ts{static_cast<time_t>(timeout_ms / 1000),
                static_cast<long>((timeout_ms % 1000) * 1000000)};
    sig = sigtimedwait(&set, nullptr, &ts);
    if (sig <= 0) return false;
  }
  OM_LOG(kInfo) << "signal " << sig << " received: stopping";
  return true;
}

}  // namespace om::server
