// Benchmarks for om::geo: point -> city (Locate), name folding and name lookup.
// Built into om_bench; run with
//   om_bench --benchmark_filter='Gazetteer|FoldName|FindByName' --benchmark_repetitions=5
//            --benchmark_report_aggregates_only=true

#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "geo/gazetteer.h"

namespace om::geo {
namespace {

const Gazetteer& Builtin() {
  static const Gazetteer* const gazetteer = [] {
    auto loaded = Gazetteer::LoadBuiltin();
    if (!loaded.ok()) std::abort();
    return std::move(loaded).value().release();  // intentionally leaked: process lifetime
  }();
  return *gazetteer;
}

// 1M points: random cities jittered by ~10 km (sigma 0.1°), so nearly all fall on populated land
// and spread over the whole world; `weighted` picks cities in proportion to population, which
// is closer to where reports come from.
std::vector<std::pair<double, double>> Points(bool weighted) {
  const Gazetteer& g = Builtin();
  std::mt19937 rng(1);
  std::normal_distribution<double> jitter(0.0, 0.1);
  std::vector<double> weights;
  for (CityId id = 0; id < g.city_count(); ++id) {
    weights.push_back(weighted ? g.city(id).population : 1.0);
  }
  std::discrete_distribution<CityId> pick(weights.begin(), weights.end());
  std::vector<std::pair<double, double>> points;
  for (int i = 0; i < 1 << 20; ++i) {
    const City& c = g.city(pick(rng));
    points.emplace_back(c.lat + jitter(rng), c.lon + jitter(rng));
  }
  return points;
}

void RunLocate(benchmark::State& state, const std::vector<std::pair<double, double>>& points) {
  const Gazetteer& g = Builtin();
  size_t i = 0;
  for (auto _ : state) {
    const auto& [lat, lon] = points[i++ & (points.size() - 1)];
    benchmark::DoNotOptimize(g.Locate(lat, lon));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_GazetteerLocate(benchmark::State& state) {
  static const auto* const points = new std::vector(Points(/*weighted=*/false));
  RunLocate(state, *points);
}
BENCHMARK(BM_GazetteerLocate);

void BM_GazetteerLocate_PopulationWeighted(benchmark::State& state) {
  static const auto* const points = new std::vector(Points(/*weighted=*/true));
  RunLocate(state, *points);
}
BENCHMARK(BM_GazetteerLocate_PopulationWeighted);

void BM_GazetteerLoadBuiltin(benchmark::State& state) {
  for (auto _ : state) {
    auto loaded = Gazetteer::LoadBuiltin();
    benchmark::DoNotOptimize(loaded);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GazetteerLoadBuiltin)->Unit(benchmark::kMillisecond);

// Loading and the first MetroOf, which builds every city's metro.
void BM_GazetteerLoadBuiltinWithMetros(benchmark::State& state) {
  for (auto _ : state) {
    auto loaded = Gazetteer::LoadBuiltin();
    benchmark::DoNotOptimize((*loaded)->MetroOf(0));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GazetteerLoadBuiltinWithMetros)->Unit(benchmark::kMillisecond);

const std::vector<std::string>& Names() {
  static const auto* const names = [] {
    auto* v = new std::vector<std::string>;
    const Gazetteer& g = Builtin();
    for (CityId id = 0; id < g.city_count(); id += 97) v->emplace_back(g.city(id).name);
    return v;
  }();
  return *names;
}

void BM_FoldName(benchmark::State& state) {
  const std::vector<std::string>& names = Names();
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& name = names[i++ % names.size()];
    bytes += static_cast<int64_t>(name.size());
    benchmark::DoNotOptimize(FoldName(name));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_FoldName);

void BM_FindByName(benchmark::State& state) {
  const Gazetteer& g = Builtin();
  std::vector<std::pair<std::string, std::string>> queries;
  for (CityId id = 0; id < g.city_count(); id += 97) {
    queries.emplace_back(g.city(id).name, std::string(g.city(id).country));
  }
  size_t i = 0;
  for (auto _ : state) {
    const auto& [name, country] = queries[i++ % queries.size()];
    benchmark::DoNotOptimize(g.FindByName(name, country));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindByName);

}  // namespace
}  // namespace om::geo
