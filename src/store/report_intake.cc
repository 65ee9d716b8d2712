#include "store/report_intake.h"

#include <chrono>
#include <thread>

#include "base/mutex.h"

namespace om::store {

Result<WriteResult> SubmitAndWait(ReportIntake& intake, std::vector<Report> reports) {
  Mutex done_mu;
  CondVar done_cv(done_mu);
  bool finished = false;
  Status status;
  WriteResult result;
  for (int attempt = 0;; ++attempt) {
    // A refused batch is left untouched (the ReportIntake contract), so a retry resubmits it.
    // NOLINTNEXTLINE(bugprone-use-after-move): TrySubmit moves from `reports` only when it accepts
    Status s = intake.TrySubmit(std::move(reports), [&](Status st, WriteResult wr) {
      MutexLock lock(done_mu);
      status = std::move(st);
      result = wr;
      finished = true;
      done_cv.Signal();
    });
    if (s.ok()) break;
    if (s.code() != StatusCode::kResourceExhausted || attempt > 100000) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  MutexLock lock(done_mu);
  while (!finished) done_cv.Wait();
  if (!status.ok()) return status;
  return result;
}

}  // namespace om::store
