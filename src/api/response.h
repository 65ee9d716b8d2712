#pragma once
// One JSON envelope for every API answer (the shape of Prometheus' HTTP API):
//   success: {"status":"success","data":...}
//   error:   {"status":"error","errorType":"not_found","error":"unknown service \"x\""}
// and one mapping from StatusCode to HTTP status, used by every handler. One documented
// exception: POST /api/v1/reports answers
// {"status":...,"accepted":N,"duplicates":D,"rejected":[...]} at the top level, the shape its
// clients were promised.

#include <string>
#include <string_view>

#include "api/http.h"
#include "base/status.h"

namespace om::api {

// 400 invalid_argument, 401 unauthenticated, 403 forbidden, 404 not_found, 409 already_exists,
// 413 too_large, 429 resource_exhausted,
// 503 unavailable, 500 corruption / io_error / internal.
int HttpStatusFor(StatusCode code);

// An error response for `status`, with Retry-After on 429 and 503.
HttpResponse ErrorResponse(const Status& status);
// An error with an explicit HTTP status (405, 415 and 431 have no StatusCode of
// their own).
HttpResponse ErrorResponse(int http_status, std::string_view error_type, std::string_view message);
// 405 naming the method and path, with `Allow: <allow>`.
HttpResponse MethodNotAllowed(const HttpRequest& request, std::string_view allow);
// 429 with `Retry-After: retry_after_seconds` and "<reason>; try again in N s".
HttpResponse RateLimited(int retry_after_seconds, std::string_view reason);
// The `limit` query parameter: `fallback` when absent, else an integer in [1, max];
// kInvalidArgument "limit: must be between 1 and <max>" otherwise.
Result<size_t> ParseLimit(std::string_view query, size_t fallback, size_t max);
// {"status":"success","data":<data_json>}
HttpResponse DataResponse(std::string_view data_json);

}  // namespace om::api
