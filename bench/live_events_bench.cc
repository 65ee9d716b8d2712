// Cost of one round of live events (api::LiveEvents::PublishNow) for 10,000 services with a day of
// reports, fanned out to 100 connected clients: every service's status and counts read under the
// aggregates' shared lock, the changed ones encoded once, the same bytes queued to every client.
// The round runs every api.event_interval_ms (2 s by default) on its own thread.
#include <benchmark/benchmark.h>

#include "api/live_events.h"
#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace om {
namespace {

constexpr int64_t kNow = 1769092620000;  // 2026-01-22T14:37:00Z
constexpr int kServices = 10000;

// Counts what it is sent; never falls behind.
class CountingSink : public api::StreamSink {
 public:
  bool Send(std::string bytes) override {
    bytes_ += bytes.size();
    return true;
  }
  void Close() override {}
  bool closed() const override { return false; }
  size_t bytes_ = 0;
};

void RunRounds(benchmark::State& state, bool every_service_changes) {
  testing::TempDir dir;
  testing::FakeClock clock{FromUnixMillis(kNow)};
  MetricsRegistry metrics;
  ingest::ServiceRegistry registry(*catalog::Catalog::LoadBuiltin(),
                                   {.auto_register_services = true, .max_services = 2 * kServices});
  store::StoreOptions options;
  options.data_dir = dir.str();
  auto store = std::move(*store::Store::Open(options, clock, metrics));
  store->Start();
  std::vector<store::Report> reports;
  for (int s = 0; s < kServices; ++s) {
    std::string id = "service-" + std::to_string(s);
    (void)registry.Resolve(id);
    for (int m = 0; m < 1440; m += 10) {
      store::Report r;
      r.service = id;
      r.problem = "other";
      r.ts_ms = kNow - int64_t{m} * 60000;
      r.received_ms = kNow;
      r.reporter_key = static_cast<uint64_t>(s) * 1000003u + static_cast<uint64_t>(m);
      reports.push_back(std::move(r));
    }
    if (reports.size() > 50000) (void)store->Write(std::exchange(reports, {}));
  }
  (void)store->Write(std::exchange(reports, {}));
  detect::Detector detector;
  incidents::IncidentTracker incidents;
  api::LiveEvents live({}, registry, *store, detector, incidents, metrics, clock);
  std::vector<std::shared_ptr<CountingSink>> sinks;
  for (int i = 0; i < 100; ++i) {
    sinks.push_back(std::make_shared<CountingSink>());
    live.Attach(sinks.back());
  }
  live.PublishNow();  // greets every client with the full state
  for (auto _ : state) {
    // Moving the clock a minute changes every service's counts: the worst round.
    if (every_service_changes) clock.Advance(std::chrono::minutes(1));
    live.PublishNow();
  }
  state.SetItemsProcessed(state.iterations() * kServices);
  state.counters["bytes_per_client_per_round"] =
      static_cast<double>(sinks[0]->bytes_) / static_cast<double>(state.iterations() + 1);
  store->Stop();
}

void BM_LiveEventsRound_10kServices_100Clients_Quiet(benchmark::State& state) {
  RunRounds(state, false);
}
BENCHMARK(BM_LiveEventsRound_10kServices_100Clients_Quiet)->Unit(benchmark::kMillisecond);

void BM_LiveEventsRound_10kServices_100Clients_AllChanged(benchmark::State& state) {
  RunRounds(state, true);
}
BENCHMARK(BM_LiveEventsRound_10kServices_100Clients_AllChanged)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace om
