#include "pipeline/pipeline.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/check.h"
#include "detect/footprint.h"

namespace om::pipeline {
namespace {

// The learned dispersions are saved this often: a crash loses at most this much of them.
constexpr int64_t kSaveLearnedEveryMs = 3600 * 1000;

}  // namespace

Pipeline::Pipeline(PipelineParts parts) : parts_(std::move(parts)) {
  OM_CHECK(parts_.read_counts) << "a pipeline reads counts";
  OM_CHECK(!parts_.records || parts_.gazetteer) << "incident records need the gazetteer";
}

void Pipeline::EvaluateMinute(const store::Aggregates& counts, int64_t minute) {
  parts_.detector.Tick(counts, minute);
  parts_.tracker.Update(counts, *parts_.detector.Snapshot());
  last_minute_ = minute;
}

Status Pipeline::EvaluateMinutes(int64_t first, int64_t last, Timestamp now, const MinuteFn& each) {
  for (int64_t m = first; m <= last; ++m) {
    parts_.read_counts([&](const store::Aggregates& counts) {
      EvaluateMinute(counts, m);
      if (each) each(counts, m);
    });
  }
  return Commit(now);
}

Status Pipeline::Commit(Timestamp now) {
  Status status = Status::Ok();
  if (parts_.records) {
    auto snapshot = parts_.tracker.Snapshot();
    // Where each open incident is, up to the last judged minute: what region subscriptions match.
    // Measured in one read of the counts, before the records take their own lock.
    std::map<std::string, std::vector<std::string>> regions;
    bool any_open = std::any_of(snapshot->incidents.begin(), snapshot->incidents.end(),
                                [](const incidents::Incident& i) { return i.open(); });
    if (any_open && last_minute_ != INT64_MIN) {
      parts_.read_counts([&](const store::Aggregates& counts) {
        for (const incidents::Incident& incident : snapshot->incidents) {
          if (!incident.open()) continue;
          auto service = counts.ServiceIndex(incident.service);
          if (!service) continue;
          regions[incident.id] =
              detect::FootprintRegions(counts, *service, parts_.detector, *parts_.gazetteer,
                                       incident.started_minute, last_minute_ + 1);
        }
      });
    }
    status =
        parts_.records
            ->Sync(*snapshot, now,
                   [&](const incidents::Incident& incident) {
                     auto found = regions.find(incident.id);
                     return found == regions.end() ? std::vector<std::string>{} : found->second;
                   })
            .WithPrefix("incident records");
  }
  int64_t now_ms = ToUnixMillis(now);
  if (learned_saved_ms_ == INT64_MIN) learned_saved_ms_ = now_ms;
  if (now_ms - learned_saved_ms_ >= kSaveLearnedEveryMs) {
    learned_saved_ms_ = now_ms;
    Status saved = SaveLearned(now);
    if (status.ok()) status = saved;
  }
  return status;
}

Status Pipeline::SaveLearned(Timestamp now) {
  // Without learning there is nothing to keep, and what was learned before stays as it was.
  if (!parts_.learned || !parts_.detector.options().learn_dispersion) return Status::Ok();
  return parts_.learned->Save(*parts_.detector.Snapshot(), ToUnixMillis(now))
      .WithPrefix("learned dispersions");
}

}  // namespace om::pipeline
