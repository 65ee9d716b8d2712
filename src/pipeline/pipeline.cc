#include "pipeline/pipeline.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/check.h"
#include "base/log.h"
#include "detect/footprint.h"

namespace om::pipeline {
namespace {

// The learned dispersions are saved this often: a crash loses at most this much of them.
constexpr int64_t kSaveLearnedEveryMs = kMillisPerHour;

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
  // Never a minute twice (after Restore, the caller may ask from before the saved minute).
  if (last_minute_ != INT64_MIN) first = std::max(first, last_minute_ + 1);
  for (int64_t m = first; m <= last; ++m) {
    parts_.read_counts([&](const store::Aggregates& counts) {
      EvaluateMinute(counts, m);
      if (each) each(counts, m);
    });
  }
  return committing_ ? Commit(now) : Status::Ok();
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
        std::unordered_map<std::string, FootprintHistory> histories;
        for (const incidents::Incident& incident : snapshot->incidents) {
          if (!incident.open()) continue;
          auto service = counts.ServiceIndex(incident.service);
          if (!service) continue;
          auto known = footprint_history_.find(incident.id);
          FootprintHistory history;
          if (known != footprint_history_.end() &&
              known->second.started_minute == incident.started_minute &&
              last_minute_ - known->second.read_minute < kFootprintHistoryMinutes) {
            history = std::move(known->second);
          } else {
            history = {.started_minute = incident.started_minute,
                       .read_minute = last_minute_,
                       .cities = detect::PlaceHistory(counts, *service, store::Dimension::kCity,
                                                      incident.started_minute)};
          }
          regions[incident.id] =
              detect::FootprintRegions(counts, *service, parts_.detector, *parts_.gazetteer,
                                       incident.started_minute, last_minute_ + 1, &history.cities);
          histories.emplace(incident.id, std::move(history));
        }
        footprint_history_ = std::move(histories);
      });
    } else {
      footprint_history_.clear();
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
  if (parts_.state && last_minute_ != INT64_MIN) {
    PipelineState state;
    state.minute = last_minute_;
    state.services = parts_.detector.ExportState();
    state.incidents = parts_.tracker.ExportState();
    Status saved = parts_.state->Save(state, now_ms).WithPrefix("pipeline state");
    if (status.ok()) status = saved;
  }
  if (learned_saved_ms_ == INT64_MIN) learned_saved_ms_ = now_ms;
  if (now_ms - learned_saved_ms_ >= kSaveLearnedEveryMs) {
    learned_saved_ms_ = now_ms;
    Status saved = SaveLearned(now);
    if (status.ok()) status = saved;
  }
  return status;
}

Result<bool> Pipeline::Restore(int64_t now_minute) {
  if (!parts_.state) return false;
  Result<std::optional<PipelineState>> loaded = parts_.state->Load();
  if (!loaded.ok()) return loaded.status();
  if (!loaded->has_value()) return false;
  PipelineState& state = **loaded;
  if (state.minute > now_minute) {
    OM_LOG(kWarning) << "the saved detection state is of minute " << state.minute
                     << ", after the clock's minute " << now_minute << ": detection starts afresh";
    return false;
  }
  parts_.detector.RestoreState(std::move(state.services));
  parts_.tracker.RestoreState(std::move(state.incidents));
  last_minute_ = state.minute;
  return true;
}

Status Pipeline::SaveLearned(Timestamp now) {
  // Without learning there is nothing to keep, and what was learned before stays as it was.
  if (!parts_.learned || !parts_.detector.options().learn_dispersion) return Status::Ok();
  return parts_.learned->Save(*parts_.detector.Snapshot(), ToUnixMillis(now))
      .WithPrefix("learned dispersions");
}

}  // namespace om::pipeline
