// The learned dispersions' hourly save: 10,000 services upserted into meta.db in one transaction,
// on the detector thread between ticks (docs/detection.md).
#include <string>

#include <benchmark/benchmark.h>

#include "db/testing_meta_store.h"
#include "pipeline/learned_dispersion.h"
#include "testing/temp_dir.h"

namespace om {
namespace {

void BM_LearnedDispersionsSave_10kServices(benchmark::State& state) {
  testing::TempDir dir;
  auto meta = db::TestingMetaStore(dir.str());
  auto learned = pipeline::LearnedDispersions::Open(*meta);
  if (!learned.ok()) {
    state.SkipWithError(learned.status().ToString().c_str());
    return;
  }
  detect::DetectionSnapshot snapshot;
  for (int i = 0; i < 10000; ++i) {
    detect::ServiceState s;
    s.service = "service-" + std::to_string(i);
    s.dispersion = 0.02 + i * 1e-4;
    snapshot.services.push_back(s);
  }
  int64_t now = 0;
  for (auto _ : state) {
    // Each round changes every value, as an hour of learning would.
    for (auto& s : snapshot.services) s.dispersion *= 1.0001;
    Status saved = (*learned)->Save(snapshot, ++now);
    if (!saved.ok()) state.SkipWithError(saved.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_LearnedDispersionsSave_10kServices)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace om
