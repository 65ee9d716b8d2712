// The report pipeline in process: parse + validate + place (Ingestor::Parse) and count
// (Aggregates::Add), on NDJSON batches shaped like real traffic. Target: >= 2,000,000 reports/s
// per core for the whole pipeline (docs/performance.md).
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "base/json_writer.h"
#include "catalog/catalog.h"
#include "geo/gazetteer.h"
#include "ingest/ingestor.h"
#include "store/aggregates.h"
#include "store/report.h"
#include "store/report_log.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace om {
namespace {

constexpr int64_t kNow = 1769092620000;

struct Fixture {
  Fixture() : clock(FromUnixMillis(kNow)) {
    gazetteer = std::move(*geo::Gazetteer::LoadBuiltin());
    registry = std::make_unique<ingest::ServiceRegistry>(*catalog::Catalog::LoadBuiltin(),
                                                         ingest::RegistryOptions{});
    ingestor = std::make_unique<ingest::Ingestor>(ingest::IngestOptions{}, *registry, *gazetteer,
                                                  nullptr, clock, metrics);
  }
  // `lines` reports: 60 services, 500 big cities jittered by ~3 km, a third with text. Times
  // rise through the batch as live traffic does (10 ms apart at most); `shuffled_times` spreads
  // them over the last hour instead, as an unordered import would.
  std::string Batch(size_t lines, bool with_location = true, bool shuffled_times = false) const {
    std::mt19937_64 rng(42);
    std::vector<geo::CityId> cities;
    for (geo::CityId id = 0; id < gazetteer->city_count() && cities.size() < 500; ++id) {
      if (gazetteer->city(id).population > 300000) cities.push_back(id);
    }
    const auto& services = registry->Services();
    std::string body;
    for (size_t i = 0; i < lines; ++i) {
      const auto& service = services[rng() % 60];
      const geo::City& c = gazetteer->city(cities[rng() % cities.size()]);
      JsonWriter w;
      w.BeginObject().Key("service").String(service.id);
      w.Key("ts").Int(shuffled_times ? kNow - static_cast<int64_t>(rng() % 3600000)
                                     : kNow - 60000 + static_cast<int64_t>(i * 60000 / lines));
      w.Key("problem").String(service.problems[rng() % service.problems.size()]);
      if (with_location) {
        w.Key("lat").Double(c.lat + static_cast<double>(rng() % 100) / 3000.0, 7);
        w.Key("lon").Double(c.lon + static_cast<double>(rng() % 100) / 3000.0, 7);
      } else {
        w.Key("city").String(c.name).Key("country").String(c.country);
      }
      w.Key("reporter").String("u-" + std::to_string(rng() % 10000000));
      if (i % 3 == 0) w.Key("text").String("451 4.3.2 temporary server issue");
      w.Key("source").String("app").EndObject();
      body += w.str();
      body += '\n';
    }
    return body;
  }
  testing::FakeClock clock;
  MetricsRegistry metrics;
  std::unique_ptr<geo::Gazetteer> gazetteer;
  std::unique_ptr<ingest::ServiceRegistry> registry;
  std::unique_ptr<ingest::Ingestor> ingestor;
};

Fixture& Shared() {
  static Fixture* f = new Fixture();  // intentionally leaked: shared by all benchmarks
  return *f;
}

void BM_IngestParse(benchmark::State& state) {
  Fixture& f = Shared();
  std::string body = f.Batch(10000);
  for (auto _ : state) {
    auto batch = f.ingestor->Parse(body, ingest::BodyFormat::kNdjson, "");
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_IngestParse)->Unit(benchmark::kMillisecond);

void BM_IngestParse_CityName(benchmark::State& state) {
  Fixture& f = Shared();
  std::string body = f.Batch(10000, /*with_location=*/false);
  for (auto _ : state) {
    auto batch = f.ingestor->Parse(body, ingest::BodyFormat::kNdjson, "");
    benchmark::DoNotOptimize(batch);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_IngestParse_CityName)->Unit(benchmark::kMillisecond);

// The whole in-process pipeline: parse, validate, place and count.
void BM_IngestPipeline(benchmark::State& state) {
  Fixture& f = Shared();
  std::string body = f.Batch(10000);
  store::Aggregates aggregates;
  for (auto _ : state) {
    auto batch = f.ingestor->Parse(body, ingest::BodyFormat::kNdjson, "");
    for (const auto& r : batch->reports) aggregates.Add(r);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_IngestPipeline)->Unit(benchmark::kMillisecond);

// The same with report times spread over the last hour in random order.
void BM_IngestPipeline_ShuffledTimes(benchmark::State& state) {
  Fixture& f = Shared();
  std::string body = f.Batch(10000, true, /*shuffled_times=*/true);
  store::Aggregates aggregates;
  for (auto _ : state) {
    auto batch = f.ingestor->Parse(body, ingest::BodyFormat::kNdjson, "");
    for (const auto& r : batch->reports) aggregates.Add(r);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_IngestPipeline_ShuffledTimes)->Unit(benchmark::kMillisecond);

void BM_AggregatesAdd(benchmark::State& state) {
  Fixture& f = Shared();
  auto batch = f.ingestor->Parse(f.Batch(10000), ingest::BodyFormat::kNdjson, "");
  store::Aggregates aggregates;
  for (auto _ : state) {
    for (const auto& r : batch->reports) aggregates.Add(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch->reports.size()));
}
BENCHMARK(BM_AggregatesAdd)->Unit(benchmark::kMillisecond);

void BM_EncodeAndFrame(benchmark::State& state) {
  Fixture& f = Shared();
  auto batch = f.ingestor->Parse(f.Batch(10000), ingest::BodyFormat::kNdjson, "");
  std::string payload, framed;
  for (auto _ : state) {
    framed.clear();
    for (const auto& r : batch->reports) {
      payload.clear();
      store::EncodeReport(r, payload);
      store::FrameRecord(payload, framed);
    }
    benchmark::DoNotOptimize(framed.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch->reports.size()));
}
BENCHMARK(BM_EncodeAndFrame)->Unit(benchmark::kMillisecond);

// Appending framed groups of 10,000 reports to the log: write(2) only, or with fdatasync.
void BM_LogAppend(benchmark::State& state) {
  bool sync = state.range(0) != 0;
  Fixture& f = Shared();
  auto batch = f.ingestor->Parse(f.Batch(10000), ingest::BodyFormat::kNdjson, "");
  std::string payload, framed;
  for (const auto& r : batch->reports) {
    payload.clear();
    store::EncodeReport(r, payload);
    store::FrameRecord(payload, framed);
  }
  testing::TempDir dir;
  auto log = store::ReportLog::Open({.dir = dir.str(), .segment_bytes = 256ull << 20});
  for (auto _ : state) {
    if (!(*log)->Append(framed).ok()) state.SkipWithError("append failed");
    if (sync && !(*log)->Sync().ok()) state.SkipWithError("sync failed");
  }
  state.SetItemsProcessed(state.iterations() * 10000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(framed.size()));
}
BENCHMARK(BM_LogAppend)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace om
