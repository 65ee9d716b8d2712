// What the route table costs per request: matching a path against the server's patterns, in the
// order server/ registers them, up to the handler (which does nothing here). Compare with
// BM_IngestParse for what the work behind a route costs.

#include <benchmark/benchmark.h>

#include "api/router.h"

namespace om::api {
namespace {

// The server's table as of this writing (server.cc RegisterRoutes; `outagemap` logs none of it).
constexpr std::pair<const char*, const char*> kRoutes[] = {
    {"POST", "/api/v1/reports"},
    {"POST", "/api/v1/web/reports"},
    {"GET", "/api/v1/services"},
    {"GET", "/api/v1/services/{id}"},
    {"GET", "/api/v1/services/{id}/series"},
    {"GET", "/api/v1/services/{id}/places"},
    {"GET", "/api/v1/incidents"},
    {"GET", "/api/v1/incidents.atom"},
    {"GET", "/api/v1/incidents/{id}"},
    {"POST", "/api/v1/incidents/{id}/updates"},
    {"POST", "/api/v1/incidents/{id}/merge"},
    {"POST", "/api/v1/incidents/{id}/split"},
    {"GET", "/api/v1/subscriptions"},
    {"POST", "/api/v1/subscriptions"},
    {"DELETE", "/api/v1/subscriptions/{id}"},
    {"GET", "/api/v1/maintenances"},
    {"POST", "/api/v1/maintenances"},
    {"DELETE", "/api/v1/maintenances/{id}"},
    {"GET", "/api/v1/pages"},
    {"PUT", "/api/v1/pages/{id}"},
    {"DELETE", "/api/v1/pages/{id}"},
    {"GET", "/pages/{page}/api/v2/{document...}"},
    {"GET", "/api/v2/{document...}"},
    {"GET", "/"},
    {"GET", "/map"},
    {"GET", "/index.html"},
    {"GET", "/services/{id}"},
    {"GET", "/incidents/{id}"},
    {"GET", "/assets/{file...}"},
    {"GET", "/badge/{id}.svg"},
    {"GET", "/api/v1/geo/cities"},
    {"GET", "/api/v1/events"},
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
};

void RouteOne(benchmark::State& state, const char* method, const char* path) {
  Router router(nullptr);
  for (const auto& [route_method, pattern] : kRoutes) {
    router.Register({.method = route_method, .pattern = pattern},
                    [](const RouteCall&) { return HttpResponse{}; });
  }
  int answered = 0;
  for (auto _ : state) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    router.Handle(std::move(request), [&](HttpResponse r) {
      answered += r.status;
      benchmark::DoNotOptimize(r);
    });
  }
  benchmark::DoNotOptimize(answered);
}

void BM_RouteFirst_PostReports(benchmark::State& state) {
  RouteOne(state, "POST", "/api/v1/reports");
}
BENCHMARK(BM_RouteFirst_PostReports);

void BM_RouteMiddle_ServiceSeries(benchmark::State& state) {
  RouteOne(state, "GET", "/api/v1/services/microsoft-365/series");
}
BENCHMARK(BM_RouteMiddle_ServiceSeries);

void BM_RouteLast_Metrics(benchmark::State& state) { RouteOne(state, "GET", "/metrics"); }
BENCHMARK(BM_RouteLast_Metrics);

void BM_RouteUnknown_404(benchmark::State& state) { RouteOne(state, "GET", "/wp-login.php"); }
BENCHMARK(BM_RouteUnknown_404);

}  // namespace
}  // namespace om::api
