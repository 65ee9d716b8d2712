// `outagemap demo`: serves a fresh data dir and replays the built-in scenario (sim/) in
// compressed time. The whole server runs on a DemoClock, so "now" in the API is event time.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "base/log.h"
#include "server/commands.h"
#include "server/progress.h"
#include "server/server.h"
#include "server/signals.h"
#include "sim/demo_scenario.h"

namespace om::server {
namespace {

// Event time that runs `speed` event minutes per wall second from `origin`, frozen until Begin().
// It never runs more than kLeadMs ahead of the data replayed so far (MarkReplayedUntil): on a
// busy machine the replay slows down instead of the detector judging minutes whose reports have
// not been sent yet.
class DemoClock final : public Clock {
 public:
  static constexpr int64_t kLeadMs = 10000;
  DemoClock(Timestamp origin, double speed)
      : origin_ms_(ToUnixMillis(origin)), speed_(speed), replayed_until_ms_(origin_ms_) {}
  void Begin() { wall_origin_ns_.store(Steady()); }
  void MarkReplayedUntil(int64_t event_ms) { replayed_until_ms_.store(event_ms); }
  Timestamp Now() const override {
    return FromUnixMillis(std::min(ScaledMs(), replayed_until_ms_.load() + kLeadMs));
  }
  // Wall milliseconds until scaled event time reaches `event_ms`.
  int64_t WallMillisUntil(int64_t event_ms) const {
    double event_left = static_cast<double>(event_ms - ScaledMs());
    return std::max<int64_t>(0, static_cast<int64_t>(event_left / (speed_ * 60.0)));
  }

 private:
  static int64_t Steady() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t ScaledMs() const {
    int64_t begun = wall_origin_ns_.load();
    if (begun == 0) return origin_ms_;
    double wall_ms = static_cast<double>(Steady() - begun) / 1e6;
    return origin_ms_ + static_cast<int64_t>(wall_ms * speed_ * 60.0);
  }
  const int64_t origin_ms_;
  const double speed_;
  std::atomic<int64_t> wall_origin_ns_{0};
  std::atomic<int64_t> replayed_until_ms_;
};

Status IngestMinutes(Server& server, const sim::DemoScenario& scenario, int64_t from_minute_ms,
                     int64_t to_minute_ms, ProgressBar* progress, uint64_t& total) {
  std::vector<sim::SimReport> reports;
  std::string body;
  for (int64_t m = from_minute_ms; m < to_minute_ms; m += 60000) {
    scenario.GenerateMinute(m, reports);
    if (reports.size() < 5000 && m + 60000 < to_minute_ms) continue;
    body.clear();
    for (const auto& r : reports) sim::AppendNdjson(r, body);
    reports.clear();
    OM_ASSIGN_OR_RETURN(ingest::ParsedBatch batch,
                        server.ingestor().Parse(body, ingest::BodyFormat::kNdjson, "127.0.0.1"));
    if (!batch.rejected.empty()) {
      return Status::Internal("demo report rejected: line " +
                              std::to_string(batch.rejected[0].line) + ": " +
                              batch.rejected[0].error);
    }
    total += batch.reports.size();
    OM_RETURN_IF_ERROR(server.store().Write(std::move(batch.reports)).status());
    if (progress) progress->Update(static_cast<uint64_t>(m + 60000 - from_minute_ms), total);
  }
  return Status::Ok();
}

}  // namespace

int RunDemo(const DemoFlags& flags) {
  namespace fs = std::filesystem;
  int64_t real_now = ToUnixMillis(SystemClock::Instance().Now());
  ServerConfig config;
  config.http.listen = flags.listen;
  config.catalog_file = flags.catalog_file;
  // The demo is Microsoft 365's status site too: /api/v2/... is its Statuspage page.
  config.api.statuspage_root = "microsoft-365";
  config.store.data_dir =
      flags.data_dir.empty() ? "./var/demo-" + std::to_string(real_now / 1000) : flags.data_dir;
  std::error_code ec;
  if (fs::exists(config.store.data_dir, ec) && !fs::is_empty(config.store.data_dir, ec)) {
    std::fprintf(stderr, "outagemap demo: --data %s is not empty; the demo needs a fresh dir\n",
                 config.store.data_dir.c_str());
    return 2;
  }
  int64_t origin = real_now - real_now % 60000;
  DemoClock clock(FromUnixMillis(origin), flags.speed);
  auto server = Server::Create(config, clock);
  if (!server.ok()) {
    std::fprintf(stderr, "outagemap demo: %s\n", server.status().message().c_str());
    return 2;
  }
  Result<catalog::Catalog> catalog = LoadCatalog(flags.catalog_file);
  if (!catalog.ok()) {
    std::fprintf(stderr, "outagemap demo: %s\n", catalog.status().message().c_str());
    return 1;
  }
  int64_t outage_start = origin + 10 * kMillisPerMinute;
  sim::DemoScenario scenario(*catalog, (*server)->gazetteer(), outage_start);
  // Detection starts once the history is in: judged against a half-written history, a service's
  // day profile (read once a day) would say it is days younger than it is.
  (*server)->Start(/*detect=*/false);
  std::string base = "http://" + config.http.listen;
  OM_LOG(kInfo) << "demo: data in " << config.store.data_dir << "; writing " << flags.history_days
                << " days of normal history";
  int64_t history_from = origin - int64_t{flags.history_days} * 86400000;
  ProgressBar progress(static_cast<uint64_t>(origin - history_from), "history",
                       ::isatty(STDERR_FILENO));
  uint64_t total = 0;
  Status s = IngestMinutes(**server, scenario, history_from, origin, &progress, total);
  progress.Finish(total);
  if (!s.ok()) {
    std::fprintf(stderr, "outagemap demo: %s\n", s.ToString().c_str());
    return 1;
  }
  OM_LOG(kInfo) << "demo: " << total << " history reports written; replaying at " << flags.speed
                << " event minutes per second. Outage starts at "
                << FormatRfc3339(FromUnixMillis(outage_start)) << " event time (in "
                << 10.0 / flags.speed << " s). Try " << base << "/api/v1/services?status=outage, "
                << base << "/api/v1/incidents and " << base
                << "/api/v1/services/microsoft-365/places";
  (*server)->StartDetection();
  clock.Begin();
  int64_t replay_end = scenario.outage_end_ms() + 30 * kMillisPerMinute;
  int64_t last_logged_hour = -1;
  for (int64_t minute = origin;; minute += 60000) {
    // Reports of a minute are sent when event time reaches its end, as if they had just arrived.
    if (WaitForStopSignal(clock.WallMillisUntil(minute + 60000))) break;
    uint64_t before = total;
    s = IngestMinutes(**server, scenario, minute, minute + 60000, nullptr, total);
    if (!s.ok()) {
      OM_LOG(kError) << "demo: " << s.ToString();
      break;
    }
    clock.MarkReplayedUntil(minute + 60000);
    int64_t hour = (minute - origin) / 3600000;
    if (hour != last_logged_hour || (minute - outage_start) == 0) {
      last_logged_hour = hour;
      OM_LOG(kInfo) << "demo: event time " << FormatRfc3339(FromUnixMillis(minute)) << ", "
                    << (total - before) << " reports this minute";
    }
    if (flags.exit_after_replay && minute >= replay_end) {
      OM_LOG(kInfo) << "demo: scenario replayed (" << total << " reports); exiting";
      break;
    }
  }
  (*server)->Stop();
  return 0;
}

}  // namespace om::server
