#include "api/report_routes.h"

#include <algorithm>

#include "api/csrf.h"
#include "api/response.h"
#include "base/json_writer.h"

namespace om::api {
namespace {

// The media type of a Content-Type header, lower-cased, without parameters.
std::string MediaType(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

void WriteIntakeFields(JsonWriter& w, size_t accepted, size_t duplicates,
                       const std::vector<ingest::LineError>& rejected,
                       const std::vector<ingest::LineWarning>& warnings) {
  w.Key("accepted").Uint(accepted).Key("duplicates").Uint(duplicates);
  w.Key("rejected").BeginArray();
  for (const auto& e : rejected) {
    w.BeginObject().Key("line").Uint(e.line).Key("error").String(e.error).EndObject();
  }
  w.EndArray();
  w.Key("warnings").BeginArray();
  for (const auto& e : warnings) {
    w.BeginObject().Key("line").Uint(e.line).Key("warning").String(e.message).EndObject();
  }
  w.EndArray();
}

}  // namespace

ReportRoutes::ReportRoutes(const ApiOptions& options, ingest::Ingestor& ingestor,
                           store::ReportIntake& intake, MetricsRegistry& metrics,
                           const Clock& clock)
    : public_rate_(options.public_rate),
      ingestor_(ingestor),
      intake_(intake),
      clock_(clock),
      form_limiter_(options.form_rate),
      public_limiter_(options.public_rate),
      overload_total_(metrics.GetCounter("om_ingest_overload_total",
                                         "Report requests refused with 429 (write queue full).")) {}

void ReportRoutes::Register(Router& router) {
  router.RegisterAsync({.method = "POST",
                        .pattern = "/api/v1/reports",
                        .scope = auth::kReportWrite,
                        .key_optional = true},
                       [this](RouteCall&& call, const Responder& respond) {
                         PostReports(std::move(call), respond);
                       });
  router.RegisterAsync({.method = "POST", .pattern = "/api/v1/web/reports"},
                       [this](RouteCall&& call, const Responder& respond) {
                         PostFormReport(std::move(call), respond);
                       });
}

void ReportRoutes::PostReports(RouteCall&& call, const Responder& respond) {
  const HttpRequest& request = call.request;
  std::string type = MediaType(request.content_type);
  ingest::BodyFormat format;
  if (type == "application/json") {
    format = ingest::BodyFormat::kJson;
  } else if (type == "application/x-ndjson" || type == "application/ndjson") {
    format = ingest::BodyFormat::kNdjson;
  } else {
    return respond(
        ErrorResponse(415, "unsupported_media_type",
                      "Content-Type must be application/json or application/x-ndjson, got \"" +
                          type.substr(0, 100) + "\""));
  }
  // An address with no token left would be refused whatever the batch holds (it costs at least
  // one): refuse it before the parse, which is most of what a batch costs the server.
  int retry_after = 1;
  if (!call.key && public_rate_.per_minute > 0 &&
      !public_limiter_.HasToken(request.client_ip, clock_.Now(), &retry_after)) {
    return respond(
        RateLimited(retry_after, "too many reports from your address without an API key"));
  }
  Result<ingest::ParsedBatch> parsed = ingestor_.Parse(request.body, format, request.client_ip);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  // A request with a report:write key (checked by the router) is exempt from the limit.
  if (!call.key && public_rate_.per_minute > 0) {
    // Every line costs a token, good or bad: a flood of bad lines costs us parsing too.
    double lines = static_cast<double>(parsed->reports.size() + parsed->rejected.size());
    if (lines > public_limiter_.burst()) {
      return respond(ErrorResponse(Status::ResourceExhausted(
          "a batch of " + std::to_string(static_cast<uint64_t>(lines)) +
          " reports is over the per-client limit of " +
          std::to_string(static_cast<uint64_t>(public_limiter_.burst())) +
          " without an API key; send smaller batches or use a key with report:write")));
    }
    if (!public_limiter_.Allow(request.client_ip, clock_.Now(), &retry_after,
                               std::max(1.0, lines))) {
      return respond(
          RateLimited(retry_after, "too many reports from your address without an API key"));
    }
  }
  SubmitReports(std::move(*parsed), respond);
}

void ReportRoutes::PostFormReport(RouteCall&& call, const Responder& respond) {
  const HttpRequest& request = call.request;
  std::string problem = CsrfProblem(request);
  if (!problem.empty()) return respond(ErrorResponse(Status::PermissionDenied(problem)));
  int retry_after = 1;
  if (!form_limiter_.Allow(request.client_ip, clock_.Now(), &retry_after)) {
    return respond(RateLimited(retry_after, "too many reports from your address"));
  }
  if (MediaType(request.content_type) != "application/json") {
    return respond(
        ErrorResponse(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  Result<ingest::ParsedBatch> parsed =
      ingestor_.Parse(request.body, ingest::BodyFormat::kJson, request.client_ip);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  for (store::Report& report : parsed->reports) report.source = store::Source::kWeb;
  SubmitReports(std::move(*parsed), respond);
}

void ReportRoutes::SubmitReports(ingest::ParsedBatch&& parsed, const Responder& respond) {
  if (parsed.reports.empty()) {
    bool all_unknown = !parsed.rejected.empty();
    for (const auto& e : parsed.rejected) all_unknown &= e.code == StatusCode::kNotFound;
    JsonWriter w;
    w.BeginObject().Key("status").String("error");
    w.Key("errorType").String(all_unknown ? "not_found" : "invalid_argument");
    w.Key("error").String(parsed.rejected.empty() ? std::string("empty body: no report to accept")
                                                  : "no report accepted; line " +
                                                        std::to_string(parsed.rejected[0].line) +
                                                        ": " + parsed.rejected[0].error);
    WriteIntakeFields(w, 0, 0, parsed.rejected, parsed.warnings);
    w.EndObject();
    HttpResponse r;
    r.status = all_unknown ? 404 : 400;
    r.body = std::move(w).Take();
    return respond(std::move(r));
  }
  auto rejected = std::make_shared<std::vector<ingest::LineError>>(std::move(parsed.rejected));
  auto warnings = std::make_shared<std::vector<ingest::LineWarning>>(std::move(parsed.warnings));
  Status submitted = intake_.TrySubmit(
      std::move(parsed.reports),
      // A copy of `respond`: it answers here too when the submission is refused.
      [respond, rejected, warnings](const Status& status, store::WriteResult result) {
        if (!status.ok()) {
          return respond(
              ErrorResponse(Status::Unavailable("report log write failed: " + status.message())));
        }
        JsonWriter w;
        w.BeginObject().Key("status").String("success");
        WriteIntakeFields(w, result.accepted, result.duplicates, *rejected, *warnings);
        w.EndObject();
        HttpResponse r;
        r.body = std::move(w).Take();
        respond(std::move(r));
      });
  if (!submitted.ok()) {
    if (submitted.code() == StatusCode::kResourceExhausted) overload_total_.Add();
    respond(ErrorResponse(submitted));
  }
}

}  // namespace om::api
