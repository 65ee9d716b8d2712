#pragma once
// ReportIntake: where validated reports go to be made durable, as the API and the importer see
// it. Today's Store (store.h) implements it with its local report log and writer thread; cluster
// mode can implement it by publishing to a stream, without the API noticing.
//
// The contract every implementation keeps:
//   - TrySubmit never blocks. It queues the batch and returns Ok, and `done` then runs exactly
//     once, on a thread of the implementation, when the batch is durable (Ok, with how many were
//     accepted and how many were duplicates) or failed (the batch was not kept, and a retry is
//     safe). Or it refuses at once and `done` never runs: kResourceExhausted when the queue is
//     full, kUnavailable when stopped or after a failure it cannot recover from (write_failure()),
//     with `reports` left untouched.
//   - `done` must not block.
//
// Thread-safety: TrySubmit, queue_depth, queue_capacity and write_failure may be called from any
// thread; Start and Stop from the owning thread only.

#include <cstddef>
#include <functional>
#include <vector>

#include "base/status.h"
#include "store/report.h"

namespace om::store {

struct WriteResult {
  size_t accepted = 0;    // stored and counted
  size_t duplicates = 0;  // stored, not counted (same reporter, service and window)
};

class ReportIntake {
 public:
  using DoneCallback = std::function<void(Status, WriteResult)>;

  virtual ~ReportIntake() = default;

  // Starts accepting; Stop() drains what was accepted, makes it durable and stops.
  virtual void Start() = 0;
  virtual void Stop() = 0;

  virtual Status TrySubmit(std::vector<Report>&& reports, DoneCallback done) = 0;
  // Reports queued and not yet durable; and the most that may be.
  virtual size_t queue_depth() const = 0;
  virtual size_t queue_capacity() const = 0;
  // Why TrySubmit refuses everything after a failure; Ok while it accepts.
  virtual Status write_failure() const = 0;
};

// Submits `reports` to `intake` and waits for the answer: for the importer and tests. While the
// intake is full (kResourceExhausted) it tries again every millisecond, at most 100,000 times;
// any other refusal, or the batch's failure, is returned.
Result<WriteResult> SubmitAndWait(ReportIntake& intake, std::vector<Report> reports);

}  // namespace om::store
