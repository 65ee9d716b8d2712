// `outagemap backtest`: replays a file of reports in event time through the same code as the
// server (ingest, store, detector, incident tracker) and writes the incidents as NDJSON. Online:
// a minute is judged only once a report of a later minute has been read, so each incident's
// detected_at uses only the reports up to that moment.
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <set>
#include <thread>

#include "api/incident_json.h"
#include "base/log.h"
#include "base/mutex.h"
#include "db/meta_store.h"
#include "incidents/incident_records.h"
#include "incidents/reference_method.h"
#include "pipeline/pipeline.h"
#include "server/commands.h"
#include "server/line_reader.h"
#include "server/progress.h"
#include "server/server.h"
#include "server/server_config.h"
#include "store/aggregates.h"
#include "store/deduplicator.h"
#include "store/store.h"

namespace om::server {
namespace {

// Event time: the newest report time read so far.
class EventClock final : public Clock {
 public:
  Timestamp Now() const override { return FromUnixMillis(now_ms_.load()); }
  void AdvanceTo(int64_t ms) {
    if (ms > now_ms_.load()) now_ms_.store(ms);
  }

 private:
  std::atomic<int64_t> now_ms_{0};
};

// Parsed batches handed from the reading thread to the one that counts and judges: at most
// `capacity` wait, so reading runs ahead by a bounded amount.
struct ParsedChunk {
  Status error;  // parsing failed: nothing more follows
  ingest::ParsedBatch parsed;
  size_t first_line = 1;  // of the batch, for error messages
  uint64_t offset = 0;    // bytes read after it, for the progress bar
  bool last = false;
};

class ChunkQueue {
 public:
  explicit ChunkQueue(size_t capacity) : capacity_(capacity) {}
  void Push(ParsedChunk chunk) {
    MutexLock lock(mu_);
    while (chunks_.size() >= capacity_) not_full_.Wait();
    chunks_.push_back(std::move(chunk));
    not_empty_.Signal();
  }
  ParsedChunk Pop() {
    MutexLock lock(mu_);
    while (chunks_.empty()) not_empty_.Wait();
    ParsedChunk chunk = std::move(chunks_.front());
    chunks_.pop_front();
    not_full_.Signal();
    return chunk;
  }

 private:
  const size_t capacity_;
  Mutex mu_;
  CondVar not_full_{mu_}, not_empty_{mu_};
  std::deque<ParsedChunk> chunks_ OM_GUARDED_BY(mu_);
};

}  // namespace

int RunBacktest(const BacktestFlags& flags) {
  Result<std::unique_ptr<LineReader>> in = LineReader::Open(flags.reports);
  if (!in.ok()) {
    std::fprintf(stderr, "outagemap backtest: %s\n", in.status().message().c_str());
    return 1;
  }
  std::FILE* out = std::fopen(flags.out.c_str(), "wb");
  if (!out) {
    std::fprintf(stderr, "outagemap backtest: %s: cannot create\n", flags.out.c_str());
    return 1;
  }
  // The same detection settings as a server with that config.
  Result<ServerConfig> loaded = ConfigFromFlag(flags.config);
  if (!loaded.ok()) {
    std::fprintf(stderr, "outagemap backtest: %s\n", loaded.status().ToString().c_str());
    return 2;
  }
  const ServerConfig& config = *loaded;
  Result<catalog::Catalog> catalog = LoadCatalog(flags.catalog);
  if (!catalog.ok()) {
    std::fprintf(stderr, "outagemap backtest: %s\n", catalog.status().message().c_str());
    return 2;
  }
  // Unknown services register on the fly, as DESIGN.md's backtest contract says.
  ingest::ServiceRegistry registry(std::move(*catalog),
                                   {.auto_register_services = true,
                                    .max_services = 1000000,
                                    .max_problem_types = config.registry.max_problem_types});
  auto gazetteer = geo::Gazetteer::LoadBuiltin();
  if (!gazetteer.ok()) {
    std::fprintf(stderr, "outagemap backtest: %s\n", gazetteer.status().message().c_str());
    return 1;
  }
  // A scratch dir for the incident records (meta.db), so that grouping runs as in the server.
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "outagemap-backtest-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "outagemap backtest: cannot create a temporary directory\n");
    return 1;
  }
  EventClock clock;
  MetricsRegistry metrics;
  // Counting as the server's store counts (one report per reporter, service and window, the same
  // aggregates and retention), but on this thread and without a log: a backtest keeps nothing,
  // and handing every minute to a writer thread and back cost it a tenth of its time.
  const store::StoreOptions store_defaults;
  store::Deduplicator dedupe(
      store::DedupeOptions{store_defaults.dedupe_window, store_defaults.dedupe_max_entries});
  store::Aggregates counts(store_defaults.aggregates);
  int64_t last_counts_prune_ms = 0;
  auto count = [&](std::vector<store::Report>& reports) {
    int64_t newest = INT64_MIN;
    for (store::Report& r : reports) {
      if (!dedupe.MarkDuplicate(r)) counts.Add(r);
      newest = std::max(newest, r.ts_ms);
    }
    int64_t now_ms = std::max(ToUnixMillis(clock.Now()), newest);
    dedupe.Prune(now_ms);
    if (now_ms - last_counts_prune_ms >= store::Aggregates::kPruneEveryMs) {
      last_counts_prune_ms = now_ms;
      counts.Prune(now_ms / 60000);
    }
  };
  ingest::IngestOptions ingest_options;
  ingest_options.max_age = Duration(0);
  ingest_options.max_future_skew = std::chrono::hours(24 * 365 * 100);
  ingest_options.max_batch_lines = SIZE_MAX;
  ingest_options.max_body_bytes = SIZE_MAX;
  // The reading thread parses ahead of the event clock: the ingestor's "now" (for reports
  // without a time) is the newest report time it has parsed.
  EventClock read_clock;
  ingest::Ingestor ingestor(ingest_options, registry, **gazetteer, nullptr, read_clock, metrics);
  detect::Detector detector(config.detect, gazetteer->get());
  incidents::IncidentTracker tracker(
      incidents::IncidentOptions{}, [&registry](const std::string& service) {
        auto found = registry.Find(service);
        return found ? found->depends_on : std::vector<std::string>{};
      });

  std::set<std::string> written;
  bool detection_failed = false;
  size_t incidents_written = 0;
  incidents::ReferenceMethod reference;
  bool use_reference = flags.method == "reference";
  // The reference method ranks cities by raw counts; outagemap by excess.
  auto write_incident = [&](const incidents::Incident& incident, const store::Aggregates& a,
                            int64_t now_minute) {
    JsonWriter w;
    api::WriteIncidentJson(w, incident, a, **gazetteer, detector, now_minute, 20,
                           /*rank_cities_by_excess=*/!use_reference);
    std::string line = std::move(w).Take();
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out);
    ++incidents_written;
  };
  // Incident records too, in the scratch dir, so that grouping runs as in the server.
  Result<std::unique_ptr<db::MetaStore>> meta = db::MetaStore::Open(tmpl + "/meta.db");
  Result<std::unique_ptr<incidents::IncidentRecords>> records =
      meta.ok() ? incidents::IncidentRecords::Open(**meta)
                : Result<std::unique_ptr<incidents::IncidentRecords>>(meta.status());
  if (!records.ok()) {
    std::fprintf(stderr, "outagemap backtest: %s\n",
                 records.status().WithPrefix("incident records").ToString().c_str());
    return 1;
  }
  pipeline::Pipeline judge(pipeline::PipelineParts{
      .detector = detector,
      .tracker = tracker,
      .read_counts = [&counts](const auto& read) { read(counts); },
      .records = records->get(),
      .gazetteer = gazetteer->get(),
  });
  // Writes the incidents that resolved by `m`, as soon as they do.
  auto write_resolved = [&](const store::Aggregates& a, int64_t m) {
    for (const auto& incident : tracker.Snapshot()->incidents) {
      if (!incident.open() && written.insert(incident.id).second) write_incident(incident, a, m);
    }
  };
  int64_t judged = INT64_MIN;  // last minute given to the detector
  // Judges every complete minute before `minute`, writing incidents as they resolve.
  auto judge_until = [&](int64_t minute) {
    if (judged == INT64_MIN) judged = minute - 1;
    if (use_reference) {
      for (int64_t m = judged + 1; m < minute; ++m) {
        // The reference method judges a 15-minute bucket once its last minute is complete.
        if ((m + 1) % 15 == 0) {
          for (const auto& incident : reference.Tick(counts, m - 14)) {
            write_incident(incident, counts, m);
          }
        }
      }
    } else if (minute - 1 > judged) {
      Status status = judge.EvaluateMinutes(judged + 1, minute - 1, FromUnixMillis(minute * 60000),
                                            write_resolved);
      if (!status.ok() && !detection_failed) {
        detection_failed = true;
        std::fprintf(stderr, "outagemap backtest: %s\n", status.ToString().c_str());
      }
    }
    judged = std::max(judged, minute - 1);
  };

  ProgressBar progress((*in)->size(), "backtest", !flags.no_progress && ::isatty(STDERR_FILENO));
  auto started = std::chrono::steady_clock::now();
  size_t rejected = 0, total = 0, printed = 0;
  // Reading and parsing run on their own thread, ahead of counting and judging (which wait for
  // each other minute by minute): the two overlap on two cores.
  ChunkQueue chunks(4);
  std::thread reader([&] {
    std::string batch, line;
    size_t line_no = 0, batch_first_line = 1, batch_lines = 0;
    bool eof = false;
    while (!eof) {
      bool got = (*in)->Next(line);
      eof = !got;
      if (got) {
        ++line_no;
        batch += line;
        batch += '\n';
        ++batch_lines;
      }
      if (batch_lines < 20000 && !eof) continue;
      ParsedChunk chunk;
      Result<ingest::ParsedBatch> parsed = ingestor.Parse(batch, ingest::BodyFormat::kNdjson, "");
      if (!parsed.ok()) {
        chunk.error = parsed.status();
        chunk.last = true;
        chunks.Push(std::move(chunk));
        return;
      }
      for (const auto& r : parsed->reports) read_clock.AdvanceTo(r.ts_ms);
      chunk.parsed = std::move(*parsed);
      chunk.first_line = batch_first_line;
      chunk.offset = (*in)->offset();
      chunk.last = eof;
      chunks.Push(std::move(chunk));
      batch.clear();
      batch_lines = 0;
      batch_first_line = line_no + 1;
    }
  });
  for (bool last = false; !last;) {
    ParsedChunk chunk = chunks.Pop();
    last = chunk.last;
    if (!chunk.error.ok()) {
      std::fprintf(stderr, "outagemap backtest: %s\n", chunk.error.ToString().c_str());
      break;
    }
    for (const auto& e : chunk.parsed.rejected) {
      ++rejected;
      if (printed++ < 20) {
        std::fprintf(stderr, "%s:%zu: %s\n", flags.reports.c_str(), chunk.first_line + e.line - 1,
                     e.error.c_str());
      }
    }
    // Feed the reports minute by minute: judge minutes as later reports show they are complete.
    std::vector<store::Report> pending;
    int64_t pending_minute = INT64_MIN;
    for (auto& r : chunk.parsed.reports) {
      int64_t minute = MinuteOf(FromUnixMillis(r.ts_ms));
      if (minute > pending_minute && !pending.empty()) {
        count(pending);
        pending.clear();
        judge_until(minute);
      }
      if (judged == INT64_MIN) judged = minute - 1;
      pending_minute = std::max(pending_minute, minute);
      clock.AdvanceTo(r.ts_ms);
      pending.push_back(std::move(r));
      ++total;
    }
    if (!pending.empty()) {
      count(pending);
    }
    progress.Update(chunk.offset, total);
  }
  reader.join();
  if (Status read = (*in)->status(); !read.ok()) {
    std::fprintf(stderr, "outagemap backtest: %s\n", read.message().c_str());
  }
  // The last minute read is complete now that the file has ended.
  judge_until(MinuteOf(clock.Now()) + 1);
  for (const auto& incident : tracker.Snapshot()->incidents) {
    if (written.insert(incident.id).second) write_incident(incident, counts, MinuteOf(clock.Now()));
  }
  for (const auto& incident : reference.open()) {
    write_incident(incident, counts, MinuteOf(clock.Now()));
  }
  progress.Finish(total);
  records->reset();
  meta->reset();
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  std::fclose(out);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (printed > 20) std::fprintf(stderr, "... and %zu more rejected lines\n", printed - 20);
  std::fprintf(stderr,
               "backtest: %zu reports (%zu lines rejected), %zu incidents written to %s, in %.1f s "
               "(%.0f reports/s)\n",
               total, rejected, incidents_written, flags.out.c_str(), seconds,
               static_cast<double>(total) / std::max(seconds, 1e-9));
  return detection_failed ? 1 : 0;
}

}  // namespace om::server
