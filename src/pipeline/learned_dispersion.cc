#include "pipeline/learned_dispersion.h"

#include <cmath>

namespace om::pipeline {
namespace {

constexpr double kMicro = 1e6;

}  // namespace

Result<std::unique_ptr<LearnedDispersions>> LearnedDispersions::Open(db::MetaStore& meta) {
  return std::unique_ptr<LearnedDispersions>(new LearnedDispersions(meta));
}

Result<std::unordered_map<std::string, double>> LearnedDispersions::Load() {
  return meta_.Read([&](db::Database& db) -> Result<std::unordered_map<std::string, double>> {
    OM_ASSIGN_OR_RETURN(db::Statement select,
                        db.Prepare("SELECT service, dispersion_micro FROM learned_dispersion"));
    std::unordered_map<std::string, double> out;
    for (;;) {
      OM_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      out[select.ColumnText(0)] = static_cast<double>(select.ColumnInt(1)) / kMicro;
    }
    return out;
  });
}

Status LearnedDispersions::Save(const detect::DetectionSnapshot& snapshot, int64_t now_ms) {
  return meta_.Write([&](db::MetaStore::Transaction& tx) {
    for (const detect::ServiceState& s : snapshot.services) {
      if (!std::isfinite(s.dispersion) || s.dispersion < 0) continue;
      OM_RETURN_IF_ERROR(tx.Run(
          "INSERT INTO learned_dispersion(service, dispersion_micro, saved_ms) VALUES (?, ?, ?) "
          "ON CONFLICT(service) DO UPDATE SET dispersion_micro = excluded.dispersion_micro, "
          "saved_ms = excluded.saved_ms",
          {s.service, static_cast<int64_t>(std::llround(s.dispersion * kMicro)), now_ms}));
    }
    return Status::Ok();
  });
}

}  // namespace om::pipeline
