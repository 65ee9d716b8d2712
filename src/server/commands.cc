#include "server/commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "base/json_writer.h"
#include "base/log.h"
#include "server/csv.h"
#include "server/line_reader.h"
#include "server/progress.h"
#include "server/server.h"
#include "server/signals.h"

namespace om::server {

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> parts;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

namespace {

int ConfigError(const Status& s) {
  std::fprintf(stderr, "outagemap: %s\n", s.message().c_str());
  return 2;
}

Result<int64_t> ParseTimeFlag(std::string_view flag, const std::string& value) {
  char* end = nullptr;
  long long ms = std::strtoll(value.c_str(), &end, 10);
  if (!value.empty() && *end == 0) return static_cast<int64_t>(ms);
  if (auto t = ParseRfc3339(value)) return ToUnixMillis(*t);
  return Status::InvalidArgument(std::string(flag) +
                                 ": must be RFC 3339 (2026-01-22T14:37:00Z) or epoch milliseconds");
}

}  // namespace

Result<ServerConfig> ConfigFromFlag(const std::string& config_file) {
  ServerConfig config;
  if (!config_file.empty()) OM_RETURN_IF_ERROR(LoadServerConfig(config_file, config));
  return config;
}

int RunServe(const ServeFlags& flags) {
  Result<ServerConfig> loaded = ConfigFromFlag(flags.config_file);
  if (!loaded.ok()) return ConfigError(loaded.status());
  ServerConfig config = std::move(*loaded);
  if (!flags.listen.empty()) config.http.listen = flags.listen;
  if (!flags.data_dir.empty()) config.store.data_dir = flags.data_dir;
  if (!flags.cluster.empty()) config.cluster.servers = SplitCommas(flags.cluster);
  if (!flags.node_id.empty()) config.cluster.node_id = flags.node_id;
  if (!config.cluster.servers.empty() && config.cluster.node_id.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == 0) {
      return ConfigError(Status::InvalidArgument(
          "cluster.node_id: empty and the host name is unknown; give --node-id"));
    }
    config.cluster.node_id = host;
  }
  auto server = Server::Create(config, SystemClock::Instance());
  if (!server.ok()) return ConfigError(server.status());
  (*server)->Start();
  OM_LOG(kInfo) << "outagemap " << kVersion << " listening on http://" << config.http.listen
                << " (port " << (*server)->port() << "), data in " << config.store.data_dir
                << (config.cluster.servers.empty() ? ""
                                                   : ", cluster node " + config.cluster.node_id);
  WaitForStopSignal();
  (*server)->Stop();
  return 0;
}

int RunImport(const ImportFlags& flags) {
  Result<ServerConfig> loaded = ConfigFromFlag(flags.config_file);
  if (!loaded.ok()) return ConfigError(loaded.status());
  ServerConfig config = std::move(*loaded);
  if (!flags.data_dir.empty()) config.store.data_dir = flags.data_dir;
  config.ingest.max_age = Duration(0);  // history is the point of an import
  config.ingest.max_body_bytes = SIZE_MAX;
  config.ingest.max_batch_lines =
      std::max<size_t>(config.ingest.max_batch_lines, 10000);  // import flushes every 10,000 lines
  std::string format = flags.format;
  if (format.empty()) {
    std::string name = flags.file;
    if (name.ends_with(".gz")) name.resize(name.size() - 3);
    format = name.ends_with(".csv") ? "csv" : "ndjson";
  }
  Result<std::unique_ptr<LineReader>> in = LineReader::Open(flags.file);
  if (!in.ok()) {
    std::fprintf(stderr, "outagemap import: %s\n", in.status().message().c_str());
    return 1;
  }

  Result<catalog::Catalog> catalog = LoadCatalog(config.catalog_file);
  if (!catalog.ok()) return ConfigError(catalog.status());
  ingest::ServiceRegistry registry(std::move(*catalog), config.registry);
  auto gazetteer = geo::Gazetteer::LoadBuiltin();
  if (!gazetteer.ok()) return ConfigError(gazetteer.status());
  std::unique_ptr<geo::IpLocator> ip_locator;
  if (!config.ip_database.empty()) {
    auto locator = geo::IpLocator::Open(config.ip_database, **gazetteer);
    if (!locator.ok()) return ConfigError(locator.status().WithPrefix("geo.ip_database"));
    ip_locator = std::move(*locator);
  }
  MetricsRegistry metrics;
  // Where the reports go: the data dir's store, or the cluster's report stream.
  if (!flags.cluster.empty()) config.cluster.servers = SplitCommas(flags.cluster);
  std::unique_ptr<store::Store> store;
  std::unique_ptr<cluster::ReportStream> stream;
  std::unique_ptr<cluster::StreamIntake> stream_intake;
  store::ReportIntake* intake = nullptr;
  if (config.cluster.servers.empty()) {
    auto opened = store::Store::Open(config.store, SystemClock::Instance(), metrics);
    if (!opened.ok()) return ConfigError(opened.status().WithPrefix("store"));
    store = std::move(*opened);
    intake = store.get();
  } else {
    if (config.cluster.node_id.empty()) config.cluster.node_id = "import";
    auto connected = cluster::ReportStream::Connect(config.cluster);
    Status ensured = connected.ok() ? (*connected)->EnsureStream() : connected.status();
    if (!ensured.ok()) {
      std::fprintf(stderr, "outagemap import: cluster: %s\n", ensured.message().c_str());
      return 1;
    }
    stream = std::move(*connected);
    auto created = cluster::StreamIntake::Create(*stream, metrics);
    if (!created.ok()) {
      std::fprintf(stderr, "outagemap import: cluster: %s\n", created.status().message().c_str());
      return 1;
    }
    stream_intake = std::move(*created);
    intake = stream_intake.get();
  }
  intake->Start();
  ingest::Ingestor ingestor(config.ingest, registry, **gazetteer, ip_locator.get(),
                            SystemClock::Instance(), metrics);

  ProgressBar progress((*in)->size(), "import", !flags.no_progress && ::isatty(STDERR_FILENO));
  auto started = std::chrono::steady_clock::now();
  size_t accepted = 0, duplicates = 0, rejected = 0, unplaced = 0, line_no = 0, printed = 0;
  std::string batch, line;
  size_t batch_first_line = 1, batch_lines = 0;
  CsvHeader csv_header;
  bool header_done = format != "csv";
  int exit_code = 0;

  auto flush = [&]() -> bool {
    if (batch_lines == 0) return true;
    Result<ingest::ParsedBatch> parsed = ingestor.Parse(batch, ingest::BodyFormat::kNdjson, "");
    if (!parsed.ok()) {
      std::fprintf(stderr, "outagemap import: %s\n", parsed.status().message().c_str());
      return false;
    }
    for (const auto& e : parsed->rejected) {
      ++rejected;
      if (printed++ < 20) {
        std::fprintf(stderr, "%s:%zu: %s\n", flags.file.c_str(), batch_first_line + e.line - 1,
                     e.error.c_str());
      }
    }
    unplaced += parsed->unplaced;
    if (!parsed->reports.empty()) {
      auto written = store::SubmitAndWait(*intake, std::move(parsed->reports));
      if (!written.ok()) {
        std::fprintf(stderr, "outagemap import: %s\n", written.status().ToString().c_str());
        return false;
      }
      accepted += written->accepted;
      duplicates += written->duplicates;
    }
    batch.clear();
    batch_lines = 0;
    batch_first_line = line_no + 1;
    progress.Update((*in)->offset(), accepted + duplicates);
    return true;
  };

  bool ok = true;
  while (ok && (*in)->Next(line)) {
    ++line_no;
    if (!header_done) {
      Status s = csv_header.Parse(line);
      if (!s.ok()) {
        std::fprintf(stderr, "%s:%zu: %s\n", flags.file.c_str(), line_no, s.message().c_str());
        ok = false;
        exit_code = 1;
        break;
      }
      header_done = true;
      batch_first_line = line_no + 1;
      continue;
    }
    if (format == "csv") {
      Result<std::string> json = csv_header.RowToJson(line);
      // A row that is not valid CSV is passed on as text that fails JSON parsing with its line.
      batch += json.ok() ? *json : "{\"csv\": invalid row}";
    } else {
      batch += line;
    }
    batch += '\n';
    if (++batch_lines == 10000) ok = flush();
  }
  if (ok) ok = flush();
  if (Status read = (*in)->status(); !read.ok()) {
    std::fprintf(stderr, "outagemap import: %s\n", read.message().c_str());
    ok = false;
  }
  progress.Finish(accepted + duplicates);
  intake->Stop();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (printed > 20) std::fprintf(stderr, "... and %zu more rejected lines\n", printed - 20);
  // In a cluster the stream tells new reports from repeats of a stored publish; which reports
  // count (one per reporter, service and window) every node decides as it follows the stream.
  std::fprintf(stderr,
               stream ? "published %zu reports to the cluster's report stream (%zu stored, %zu "
                        "already stored, %zu unplaced), rejected %zu lines, in %.1f s (%.0f "
                        "lines/s)\n"
                      : "imported %zu reports (%zu counted, %zu duplicates, %zu unplaced), "
                        "rejected %zu lines, in %.1f s (%.0f lines/s)\n",
               accepted + duplicates, accepted, duplicates, unplaced, rejected, seconds,
               static_cast<double>(line_no) / std::max(seconds, 1e-9));
  if (!ok) return exit_code ? exit_code : 1;
  return 0;
}

int RunExport(const ExportFlags& flags) {
  int64_t from = INT64_MIN, to = INT64_MAX;
  if (!flags.from.empty()) {
    auto t = ParseTimeFlag("--from", flags.from);
    if (!t.ok()) return ConfigError(t.status());
    from = *t;
  }
  if (!flags.to.empty()) {
    auto t = ParseTimeFlag("--to", flags.to);
    if (!t.ok()) return ConfigError(t.status());
    to = *t;
  }
  std::FILE* out = stdout;
  if (!flags.out.empty()) {
    out = std::fopen(flags.out.c_str(), "wb");
    if (!out) {
      std::fprintf(stderr, "outagemap export: %s: cannot create\n", flags.out.c_str());
      return 1;
    }
  }
  std::string log_dir = flags.data_dir + "/log";
  struct stat st;
  if (::stat(log_dir.c_str(), &st) != 0) {
    std::fprintf(stderr, "outagemap export: %s: no report log here\n", log_dir.c_str());
    return 1;
  }
  uint64_t written = 0, bad = 0;
  std::string line;
  auto stats = store::ReadLog(log_dir, {}, [&](std::string_view payload, store::LogPosition) {
    Result<store::Report> r = store::DecodeReport(payload);
    if (!r.ok()) {
      ++bad;
      return;
    }
    if (r->ts_ms < from || r->ts_ms >= to) return;
    if (!flags.service.empty() && r->service != flags.service) return;
    JsonWriter w;
    w.BeginObject().Key("service").String(r->service);
    w.Key("ts").String(FormatRfc3339(FromUnixMillis(r->ts_ms)));
    w.Key("received").String(FormatRfc3339(FromUnixMillis(r->received_ms)));
    w.Key("problem").String(r->problem);
    char key[17];
    std::snprintf(key, sizeof key, "%016llx", static_cast<unsigned long long>(r->reporter_key));
    w.Key("reporter").String(key);
    if (!std::isnan(r->lat)) w.Key("lat").Double(r->lat, 9).Key("lon").Double(r->lon, 9);
    if (!r->city.empty()) w.Key("city").String(r->city);
    if (!r->country.empty()) w.Key("country").String(r->country);
    if (!r->region.empty()) w.Key("region").String(r->region);
    if (r->geonameid != 0) w.Key("geonameid").Uint(r->geonameid);
    if (!r->text.empty()) w.Key("text").String(r->text);
    w.Key("source").String(store::SourceName(r->source));
    w.Key("duplicate").Bool(r->duplicate);
    w.EndObject();
    line = std::move(w).Take();
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out);
    ++written;
  });
  if (out != stdout) std::fclose(out);
  if (!stats.ok()) {
    std::fprintf(stderr, "outagemap export: %s\n", stats.status().ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "exported %llu reports%s\n", static_cast<unsigned long long>(written),
               bad ? " (some records could not be decoded and were skipped)" : "");
  return 0;
}

}  // namespace om::server
