// Cost of a detection tick: Detector::Tick over 10,000 services with 14 days of history, once
// with every baseline to compute (the first tick of a quarter hour) and once with them cached.
// Target (detection issue): <= 100 ms per tick on one core.
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "detect/detector.h"
#include "store/aggregates.h"

namespace om {
namespace {

constexpr int64_t kDay = 1440;
constexpr int64_t kNow = 29'500'000 - 29'500'000 % kDay + 600;

// 10,000 services with one report every few minutes over 14 days, in 40 cities each.
store::Aggregates& History() {
  static store::Aggregates* a = [] {
    auto* aggregates = new store::Aggregates();  // intentionally leaked: shared by the benchmarks
    std::mt19937_64 rng(1);
    store::Report r;
    r.problem = "other";
    r.country = "US";
    r.region = "US-MN";
    for (int s = 0; s < 10000; ++s) {
      r.service = "service-" + std::to_string(s);
      int64_t step = 2 + static_cast<int64_t>(rng() % 10);
      for (int64_t m = kNow - 14 * kDay; m < kNow; m += step) {
        r.ts_ms = m * 60000;
        r.geonameid = 1000 + static_cast<uint32_t>(rng() % 40);
        aggregates->Add(r);
      }
    }
    return aggregates;
  }();
  return *a;
}

void BM_DetectorTick_10kServices_ColdBaselines(benchmark::State& state) {
  store::Aggregates& a = History();
  for (auto _ : state) {
    detect::Detector detector;  // every baseline computed afresh
    detector.Tick(a, kNow - 1);
    benchmark::DoNotOptimize(detector.Snapshot());
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_DetectorTick_10kServices_ColdBaselines)->Unit(benchmark::kMillisecond);

void BM_DetectorTick_10kServices(benchmark::State& state) {
  store::Aggregates& a = History();
  detect::Detector detector;
  detector.Tick(a, kNow - 2);  // baselines of this quarter hour cached
  for (auto _ : state) {
    detector.Tick(a, kNow - 1);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_DetectorTick_10kServices)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace om
