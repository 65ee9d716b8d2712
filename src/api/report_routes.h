#pragma once
// Report intake over HTTP (docs/api/README.md, "Reports"):
//   POST /api/v1/reports       JSON or NDJSON; limited per client address unless sent with a
//                              report:write API key (a key that is sent must be valid)
//   POST /api/v1/web/reports   the report form: CSRF token (csrf.h), its own limit per client
// Both parse with ingest::Ingestor and submit to store::ReportIntake::TrySubmit; the answer comes
// later, from the store's writer thread, once the reports are in the log. Their answer keeps the
// shape its clients were promised, {status, accepted, duplicates, rejected, warnings}, at the top
// level.
//
// Thread-safety: the handlers run on any HTTP worker; the limiters have their own locks.

#include "api/api_options.h"
#include "api/rate_limiter.h"
#include "api/router.h"
#include "base/metrics.h"
#include "base/time.h"
#include "ingest/ingestor.h"
#include "store/report_intake.h"

namespace om::api {

class ReportRoutes {
 public:
  // Everything is borrowed and must outlive this object. Uses options.public_rate and
  // options.form_rate.
  ReportRoutes(const ApiOptions& options, ingest::Ingestor& ingestor, store::ReportIntake& intake,
               MetricsRegistry& metrics, const Clock& clock);
  ReportRoutes(const ReportRoutes&) = delete;
  ReportRoutes& operator=(const ReportRoutes&) = delete;
  ~ReportRoutes() = default;

  void Register(Router& router);

 private:
  void PostReports(RouteCall&& call, const Responder& respond);
  void PostFormReport(RouteCall&& call, const Responder& respond);
  // Writes parsed reports and answers with the intake's {accepted, duplicates, rejected}.
  void SubmitReports(ingest::ParsedBatch&& parsed, const Responder& respond);

  const RateLimitOptions public_rate_;
  ingest::Ingestor& ingestor_;
  store::ReportIntake& intake_;
  const Clock& clock_;
  ClientRateLimiter form_limiter_;
  ClientRateLimiter public_limiter_;
  Counter& overload_total_;
};

}  // namespace om::api
