#include "server/detector_thread.h"

#include <algorithm>

#include "base/log.h"

namespace om::server {

DetectorThread::DetectorThread(pipeline::Pipeline& pipeline, const Clock& clock, Duration grace)
    : pipeline_(pipeline), clock_(clock), grace_(grace) {}

DetectorThread::~DetectorThread() { Stop(); }

void DetectorThread::Start() {
  worker_.Start(std::chrono::milliseconds(200), [this] { Round(); });
}

void DetectorThread::Stop() { worker_.Stop(); }

void DetectorThread::Round() {
  int64_t complete = MinuteOf(clock_.Now() - grace_) - 1;
  // On from the minute the pipeline judged last (or restored), else a warm-up over the last half
  // hour so that the server knows at once which services are in an outage.
  const int64_t last =
      pipeline_.last_minute() != INT64_MIN ? pipeline_.last_minute() : complete - 30;
  if (complete <= last) return;
  Status judged =
      pipeline_.EvaluateMinutes(std::max(last + 1, complete - 60), complete, clock_.Now());
  if (!judged.ok()) OM_LOG(kError) << "detection: " << judged.ToString();
}

}  // namespace om::server
