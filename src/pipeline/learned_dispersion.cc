#include "pipeline/learned_dispersion.h"

#include <cmath>

namespace om::pipeline {
namespace {

constexpr double kMicro = 1e6;

}  // namespace

Result<std::unique_ptr<LearnedDispersions>> LearnedDispersions::Open(const std::string& path) {
  OM_ASSIGN_OR_RETURN(std::unique_ptr<db::Database> db, db::Database::Open(path));
  OM_RETURN_IF_ERROR(
      db->Exec("CREATE TABLE IF NOT EXISTS learned_dispersion("
               "service TEXT PRIMARY KEY, dispersion_micro INTEGER NOT NULL, "
               "saved_ms INTEGER NOT NULL)"));
  return std::unique_ptr<LearnedDispersions>(new LearnedDispersions(std::move(db)));
}

Result<std::unordered_map<std::string, double>> LearnedDispersions::Load() {
  OM_ASSIGN_OR_RETURN(db::Statement select,
                      db_->Prepare("SELECT service, dispersion_micro FROM learned_dispersion"));
  std::unordered_map<std::string, double> out;
  for (;;) {
    OM_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out[select.ColumnText(0)] = static_cast<double>(select.ColumnInt(1)) / kMicro;
  }
  return out;
}

Status LearnedDispersions::Save(const detect::DetectionSnapshot& snapshot, int64_t now_ms) {
  OM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  Status saved = [&]() -> Status {
    OM_ASSIGN_OR_RETURN(
        db::Statement upsert,
        db_->Prepare("INSERT INTO learned_dispersion(service, dispersion_micro, saved_ms) "
                     "VALUES (?, ?, ?) ON CONFLICT(service) DO UPDATE SET "
                     "dispersion_micro = excluded.dispersion_micro, saved_ms = excluded.saved_ms"));
    for (const detect::ServiceState& s : snapshot.services) {
      if (!std::isfinite(s.dispersion) || s.dispersion < 0) continue;
      upsert.Bind(1, s.service)
          .Bind(2, static_cast<int64_t>(std::llround(s.dispersion * kMicro)))
          .Bind(3, now_ms);
      OM_RETURN_IF_ERROR(upsert.Run());
    }
    return Status::Ok();
  }();
  if (saved.ok()) saved = db_->Exec("COMMIT");
  // A failed statement or commit must not leave the transaction (and meta.db's lock) open.
  if (!saved.ok()) (void)db_->Exec("ROLLBACK");
  return saved;
}

}  // namespace om::pipeline
