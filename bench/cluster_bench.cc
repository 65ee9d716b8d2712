// What acknowledged intake onto the report stream costs: reports/s that StreamIntake gets
// acknowledged by real nats-server processes on 127.0.0.1 (one server with 1 replica, three with
// 3), in batches of 100 reports of 500 services, sent as one message per report or as messages of
// up to 100 reports of one partition, with up to 20,000 reports awaiting acknowledgement. Each
// iteration submits 20,000 reports never seen before and waits until every batch is answered. The
// servers share the machine's two cores with the benchmark.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

#include <benchmark/benchmark.h>

#include "base/metrics.h"
#include "cluster/nats_test_cluster.h"
#include "cluster/report_stream.h"
#include "cluster/stream_intake.h"
#include "testing/temp_dir.h"

namespace om::cluster {
namespace {

constexpr size_t kBatch = 100;
constexpr size_t kReportsPerIteration = 20000;

// One cluster per replica count, started on first use and stopped (by PID) at exit.
struct Running {
  testing::TempDir dir;
  std::unique_ptr<NatsTestCluster> cluster;
  std::unique_ptr<ReportStream> stream;
  MetricsRegistry metrics;
  std::unique_ptr<StreamIntake> intake;
};

Running* Start(int replicas, size_t per_message, benchmark::State& state) {
  static std::map<std::pair<int, size_t>, std::unique_ptr<Running>> running;
  std::unique_ptr<Running>& r = running[{replicas, per_message}];
  if (r) return r.get();
  r = std::make_unique<Running>();
  Result<NatsTestCluster> cluster = NatsTestCluster::Start(replicas, r->dir.str());
  if (!cluster.ok()) {
    state.SkipWithError(cluster.status().ToString().c_str());
    return nullptr;
  }
  r->cluster = std::make_unique<NatsTestCluster>(std::move(*cluster));
  ClusterOptions options;
  options.servers = r->cluster->urls();
  options.replicas = replicas;
  options.max_in_flight = kReportsPerIteration;
  options.reports_per_message = per_message;
  options.connect_timeout = std::chrono::milliseconds(30000);
  Result<std::unique_ptr<ReportStream>> stream = ReportStream::Connect(options);
  Status ensured = stream.ok() ? (*stream)->EnsureStream() : stream.status();
  if (!ensured.ok()) {
    state.SkipWithError(ensured.ToString().c_str());
    return nullptr;
  }
  r->stream = std::move(*stream);
  Result<std::unique_ptr<StreamIntake>> intake = StreamIntake::Create(*r->stream, r->metrics);
  if (!intake.ok()) {
    state.SkipWithError(intake.status().ToString().c_str());
    return nullptr;
  }
  r->intake = std::move(*intake);
  r->intake->Start();
  return r.get();
}

void BM_StreamIntake(benchmark::State& state) {
  const int replicas = static_cast<int>(state.range(0));
  const auto per_message = static_cast<size_t>(state.range(1));
  Running* r = Start(replicas, per_message, state);
  if (r == nullptr) return;
  static std::atomic<uint64_t> next_report{0};
  std::mutex mu;
  std::condition_variable cv;
  size_t failed = 0;
  for (auto _ : state) {
    size_t outstanding = kReportsPerIteration / kBatch;
    for (size_t b = 0; b < kReportsPerIteration / kBatch; ++b) {
      std::vector<store::Report> batch(kBatch);
      for (store::Report& report : batch) {
        const uint64_t n = next_report++;
        report.ts_ms = 1'780'000'000'000 + static_cast<int64_t>(n);
        report.received_ms = report.ts_ms;
        report.service = "service-" + std::to_string(n % 500);
        report.problem = "login";
        report.reporter_key = n * 0x9e3779b97f4a7c15ull + 1;
        report.country = "US";
      }
      Status s =
          r->intake->TrySubmit(std::move(batch), [&](const Status& status, store::WriteResult) {
            std::lock_guard lock(mu);
            failed += status.ok() ? 0 : 1;
            --outstanding;
            cv.notify_all();
          });
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  }
  if (failed > 0) state.SkipWithError("some batches were not acknowledged");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kReportsPerIteration));
}
BENCHMARK(BM_StreamIntake)
    ->ArgsProduct({{1, 3}, {1, 100}})
    ->ArgNames({"replicas", "per_message"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace om::cluster
