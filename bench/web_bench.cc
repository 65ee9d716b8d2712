// Cost of loading the embedded web UI at start-up (web::Assets::LoadBuiltin): the files and their
// gzip copies are both made at build time, so loading only indexes them and computes ETags. When
// the server compressed them itself at every start, this took 0.37 s.
#include <benchmark/benchmark.h>

#include "web/assets.h"

namespace om {
namespace {

void BM_WebAssetsLoadBuiltin(benchmark::State& state) {
  for (auto _ : state) {
    auto assets = web::Assets::LoadBuiltin();
    benchmark::DoNotOptimize(assets);
  }
}
BENCHMARK(BM_WebAssetsLoadBuiltin)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace om
