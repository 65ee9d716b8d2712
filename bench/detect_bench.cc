// Cost of a detection tick: Detector::Tick over 10,000 services with 14 days of history:
//  - ColdBaselines: a new detector, every weekly profile and baseline to compute (what the tick
//    at a service's local midnight does, here for all 10,000 at once), with the weekly profile
//    on (weekly:1) and off (weekly:0);
//  - QuarterTick: the first tick of a quarter hour, every baseline recomputed, weekly profiles
//    cached;
//  - OneZoneLocalMidnight: 10,000 services in one time zone through the first two hours of their
//    new local day, when each reads its new day profile in its own quarter hour;
//  - the plain tick, baselines cached.
// Target (detection issue): <= 100 ms per tick on one core.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "detect/detector.h"
#include "geo/testing_gazetteer.h"
#include "store/aggregates.h"

namespace om {
namespace {

constexpr int64_t kDay = 1440;
constexpr int64_t kNow = 29'500'000 - 29'500'000 % kDay + 600;

// 10,000 services with one report every few minutes over 14 days, in 40 cities each, fewer at
// night and at weekends, so that weekly profiles have a daily cycle to find. With `one_zone` every
// service is in Chicago (UTC-6; kNow is 04:00 there), else each in one of 24 time zones.
store::Aggregates* BuildHistory(bool one_zone) {
  auto* aggregates = new store::Aggregates();  // intentionally leaked: shared by the benchmarks
  std::mt19937_64 rng(1);
  store::Report r;
  r.problem = "other";
  r.country = "US";
  r.region = "US-MN";
  for (int s = 0; s < 10000; ++s) {
    r.service = "service-" + std::to_string(s);
    int64_t step = 2 + static_cast<int64_t>(rng() % 10);
    int64_t tz = one_zone ? -6 * 60 : (s % 24 - 12) * 60;
    for (int64_t m = kNow - 14 * kDay; m < kNow; m += step) {
      int64_t local = m + tz;
      double hour = static_cast<double>(local % kDay) / 60;
      bool weekend = (local / kDay + 4) % 7 == 0 || (local / kDay + 4) % 7 == 6;
      double keep = (0.55 - 0.45 * std::cos(2 * M_PI * (hour - 4) / 24)) * (weekend ? 0.5 : 1);
      if (static_cast<double>(rng() % 1000) >= keep * 1000) continue;
      r.ts_ms = m * 60000;
      r.geonameid = 1000 + static_cast<uint32_t>(rng() % 40);
      aggregates->Add(r);
    }
  }
  return aggregates;
}

store::Aggregates& History() {
  static store::Aggregates* a = BuildHistory(false);
  return *a;
}

store::Aggregates& HistoryOneZone() {
  static store::Aggregates* a = BuildHistory(true);
  return *a;
}

void BM_DetectorTick_10kServices_ColdBaselines(benchmark::State& state) {
  store::Aggregates& a = History();
  detect::DetectOptions options;
  options.weekly_profile = state.range(0) != 0;
  for (auto _ : state) {
    detect::Detector detector(options);  // every weekly profile and baseline computed afresh
    detector.Tick(a, kNow - 1);
    benchmark::DoNotOptimize(detector.Snapshot());
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_DetectorTick_10kServices_ColdBaselines)
    ->ArgName("weekly")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond);

void BM_DetectorTick_10kServices_QuarterTick(benchmark::State& state) {
  store::Aggregates& a = History();
  for (auto _ : state) {
    state.PauseTiming();
    auto detector = std::make_unique<detect::Detector>();
    detector->Tick(a, kNow - 16);  // the quarter hour before: weekly profiles computed
    state.ResumeTiming();
    detector->Tick(a, kNow - 1);  // a new quarter hour: every baseline recomputed
    state.PauseTiming();
    detector.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_DetectorTick_10kServices_QuarterTick)->Unit(benchmark::kMillisecond);

// Every service in one time zone starts its local day at once: the eight quarter-hour ticks of
// the first two hours after local midnight, over which the day profiles are spread. Reports the
// slowest of them (worst_tick_ms) beside their mean (the benchmark's time / 8).
void BM_DetectorTick_10kServices_OneZoneLocalMidnight(benchmark::State& state) {
  store::Aggregates& a = HistoryOneZone();
  constexpr int64_t kLocalMidnight = kNow - 4 * 60;  // kNow is 04:00 in Chicago
  double worst_ms = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto detector = std::make_unique<detect::Detector>();
    detector->Tick(a, kLocalMidnight - 16);  // 23:44: yesterday's day profiles, all computed
    state.ResumeTiming();
    for (int q = 0; q < 8; ++q) {
      auto start = std::chrono::steady_clock::now();
      detector->Tick(a, kLocalMidnight + 15 * q);
      worst_ms = std::max(worst_ms, std::chrono::duration<double, std::milli>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
    }
    state.PauseTiming();
    detector.reset();
    state.ResumeTiming();
  }
  state.counters["worst_tick_ms"] = worst_ms;
  state.SetItemsProcessed(state.iterations() * 8 * 10000);
}
BENCHMARK(BM_DetectorTick_10kServices_OneZoneLocalMidnight)->Unit(benchmark::kMillisecond);

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

// The expected band of a 24-hour chart (`series?expected=1`): the baseline of each of its 96
// quarter hours, for one service.
// 500 large services (2 reports a minute, over 300 British cities each) for 14 days: the metro
// scan tests every city of each of them every 5 minutes. Arg 0: a tick on a scan minute with the
// scan off; arg 1: on, city by city (no gazetteer); arg 2: on, cities and metros.
void BM_DetectorTick_500LargeServices_MetroScan(benchmark::State& state) {
  const geo::Gazetteer& gazetteer = geo::TestingBuiltinGazetteer();
  static const std::vector<uint32_t> cities = [&] {
    std::vector<uint32_t> gb;
    for (geo::CityId id = 0; id < gazetteer.city_count() && gb.size() < 300; ++id) {
      if (gazetteer.city(id).country == "GB") gb.push_back(gazetteer.city(id).geonameid);
    }
    return gb;
  }();
  static store::Aggregates* a = [] {
    auto* aggregates = new store::Aggregates();  // intentionally leaked: shared by the runs
    std::mt19937_64 rng(2);
    std::poisson_distribution<uint32_t> per_minute(2);
    store::Report r;
    r.problem = "other";
    r.country = "GB";
    r.region = "GB-ENG";
    for (int s = 0; s < 500; ++s) {
      r.service = "large-" + std::to_string(s);
      for (int64_t m = kNow - 14 * kDay; m < kNow; ++m) {
        r.ts_ms = m * 60000;
        for (uint32_t n = per_minute(rng); n > 0; --n) {
          r.geonameid = cities[rng() % cities.size()];
          aggregates->Add(r);
        }
      }
    }
    return aggregates;
  }();
  const int64_t scan_minute = kNow - 1 - ((kNow - 1) % 5 + 5) % 5;
  detect::Detector detector({.metro_window_minutes = state.range(0) ? 60 : 0},
                            state.range(0) == 2 ? &gazetteer : nullptr);
  for (int64_t m = scan_minute - 70; m < scan_minute; ++m) detector.Tick(*a, m);  // warm
  for (auto _ : state) {
    detector.Tick(*a, scan_minute);
  }
  state.SetItemsProcessed(state.iterations() * 500);
}
BENCHMARK(BM_DetectorTick_500LargeServices_MetroScan)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);

void BM_ExpectedBand24h(benchmark::State& state) {
  store::Aggregates& a = History();
  detect::Detector detector;
  uint32_t service = *a.ServiceIndex("service-7");
  std::vector<int64_t> quarters;
  for (int64_t q = kNow - kDay - kNow % 15; q < kNow; q += 15) quarters.push_back(q);
  for (auto _ : state) {
    benchmark::DoNotOptimize(detector.ExpectedPerMinute(a, service, quarters));
  }
}
BENCHMARK(BM_ExpectedBand24h)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace om
