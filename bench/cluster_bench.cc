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
#include <thread>

#include <benchmark/benchmark.h>

#include "base/metrics.h"
#include "cluster/nats_test_cluster.h"
#include "cluster/report_stream.h"
#include "cluster/stream_counts.h"
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

// How fast a node counts the report stream: a fresh StreamCounts (empty data dir, as a new node
// or one whose snapshot was lost) follows an R3 stream of 200,000 reports (written once, packed
// up to 100 per message, 500 services) from its first sequence until it has counted the last.
// Reports/s is the follower's apply rate, the pace at which a node catches up after a restart
// and the most a node can count under load. Each iteration ends with StreamCounts::Stop, which
// writes the counts' snapshot.
void BM_StreamCountsCatchUp(benchmark::State& state) {
  constexpr size_t kReports = 200000;
  Running* r = Start(3, 100, state);
  if (r == nullptr) return;
  static uint64_t last_sequence = 0;
  if (last_sequence == 0) {
    std::mutex mu;
    std::condition_variable cv;
    size_t outstanding = kReports / kBatch, failed = 0;
    for (size_t b = 0; b < kReports / kBatch; ++b) {
      std::vector<store::Report> batch(kBatch);
      for (size_t i = 0; i < kBatch; ++i) {
        const uint64_t n = b * kBatch + i;
        store::Report& report = batch[i];
        report.ts_ms = 1'790'000'000'000 + static_cast<int64_t>(n) * 10;
        report.received_ms = report.ts_ms;
        report.service = "service-" + std::to_string(n % 500);
        report.problem = n % 3 == 0 ? "login" : "other";
        report.reporter_key = n * 0x9e3779b97f4a7c15ull + 7;
        report.country = "US";
        report.region = "US-MN";
        report.geonameid = 5037649 + static_cast<uint32_t>(n % 40);
      }
      for (int attempt = 0;; ++attempt) {
        std::vector<store::Report> copy = batch;
        Status s =
            r->intake->TrySubmit(std::move(copy), [&](const Status& status, store::WriteResult) {
              std::lock_guard lock(mu);
              failed += status.ok() ? 0 : 1;
              --outstanding;
              cv.notify_all();
            });
        if (s.ok()) break;
        if (attempt > 10000) {
          state.SkipWithError(s.ToString().c_str());
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // past max_in_flight
      }
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
    if (failed > 0) {
      state.SkipWithError("filling the stream: some batches were not acknowledged");
      return;
    }
    Result<StreamState> stream_state = r->stream->State();
    if (!stream_state.ok()) {
      state.SkipWithError(stream_state.status().ToString().c_str());
      return;
    }
    last_sequence = stream_state->last_sequence;
  }
  int round = 0;
  for (auto _ : state) {
    testing::TempDir dir;
    StreamCountsOptions options;
    options.data_dir = dir.str() + "/node" + std::to_string(round++);
    MetricsRegistry metrics;
    Result<std::unique_ptr<StreamCounts>> counts = StreamCounts::Open(options, *r->stream, metrics);
    if (!counts.ok()) {
      state.SkipWithError(counts.status().ToString().c_str());
      return;
    }
    (*counts)->Start();
    if (!(*counts)->WaitUntilApplied(last_sequence, std::chrono::milliseconds(120000))) {
      state.SkipWithError("the follower did not reach the last sequence within 120 s");
      return;
    }
    (*counts)->Stop();
  }
  // Reports of this benchmark only: the intake benchmarks may have added more to the stream,
  // which a follower reads too, so the rate is a lower bound when they ran first.
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kReports));
}
BENCHMARK(BM_StreamCountsCatchUp)->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace om::cluster
