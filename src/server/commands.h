#pragma once
// The subcommands of the outagemap binary. Each returns the process exit code: 0 success,
// 1 runtime failure, 2 bad configuration or arguments (printed with the key or flag at fault).

#include <string>
#include <vector>

#include "base/status.h"
#include "server/server_config.h"

namespace om::server {

inline constexpr const char* kVersion = "0.1.0";

// The configuration of a `--config` flag: the file's settings over the defaults, or the defaults
// when `config_file` is empty; the error names the file, line and key.
Result<ServerConfig> ConfigFromFlag(const std::string& config_file);

struct ServeFlags {
  std::string listen;    // overrides server.listen when set
  std::string data_dir;  // overrides store.data_dir when set
  std::string config_file;
  std::string cluster;  // overrides cluster.servers when set: URLs separated by commas
  std::string node_id;  // overrides cluster.node_id when set
};
int RunServe(const ServeFlags& flags);

struct DemoFlags {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir;  // empty: ./var/demo-<unix time>
  double speed = 2.0;    // event minutes per wall second
  int history_days = 14;
  bool exit_after_replay = false;
  std::string catalog_file;  // a user catalog merged into the built-in one; empty for none
};
int RunDemo(const DemoFlags& flags);

struct ImportFlags {
  std::string file;
  std::string data_dir;
  std::string config_file;
  std::string format;  // "ndjson", "csv" or empty for the file extension
  bool no_progress = false;
  // Cluster mode: publish to the cluster's report stream (URLs separated by commas; overrides
  // cluster.servers) instead of writing a data dir.
  std::string cluster;
};
int RunImport(const ImportFlags& flags);

struct BacktestFlags {
  std::string reports;  // NDJSON, optionally .gz
  std::string out;
  std::string catalog;               // a user catalog merged into the built-in one
  std::string method = "outagemap";  // or "reference": the naive method measured against
  std::string config;  // a server config whose [detect] settings detection uses; empty: defaults
  bool no_progress = false;
};
int RunBacktest(const BacktestFlags& flags);

struct SimulateFlags {
  std::string scenario;  // scenario TOML (docs/formats/scenario.md); empty with `random`
  std::string out;       // directory for reports.ndjson and truth.ndjson
  // A randomised world (sim/random_world.h) instead of a scenario file.
  bool random = false;
  uint64_t seed = 1;
  int days = 21;
  int services = 80;
  int outages = 48;  // primary outages; cascades add dependents
  int warmup_days = 7;
  bool quiet = false;  // no outages: only the traps (surges, spammers)
};
int RunSimulate(const SimulateFlags& flags);

struct EvaluateFlags {
  std::string truth;        // NDJSON ground truth
  std::string incidents;    // outagemap's incidents (backtest output)
  std::string reference;    // the reference method's incidents, optional
  double service_days = 0;  // for false incidents per 1000 service-days; 0: not printed
  int k = 10;               // localisation precision@k
  // Incidents detected before this RFC 3339 time (a world's warm-up) are not judged; empty: all.
  std::string from;
  bool json = false;  // print the counts behind the figures as one JSON object per method
};
int RunEvaluate(const EvaluateFlags& flags);

struct ExportFlags {
  std::string data_dir = "./var";
  std::string from, to, service, out;
};
int RunExport(const ExportFlags& flags);

struct KeysFlags {
  std::string action;  // create, list or revoke
  std::string data_dir = "./var";
  // Set: the keys of a cluster (NATS server URLs, comma-separated), through its journal of
  // meta.db writes, instead of a data dir's.
  std::string cluster;
  std::string name;    // create
  std::string scopes;  // create: "report:write,incident:write,admin"
  std::string id;      // revoke
};
int RunKeys(const KeysFlags& flags);

// "a,b,,c" → {"a", "b", "c"}: the --cluster flags' lists of URLs.
std::vector<std::string> SplitCommas(const std::string& text);

struct DetectSeriesFlags {
  // "series": detect::SeriesDetector, for any series; "live": the server's detector on a count
  // series (pipeline/live_series.h).
  std::string engine = "series";
  // NAME=VALUE overrides of detect::SeriesOptions fields (detect/series_detector.h); series only.
  std::vector<std::string> options;
  // A server config whose [detect] settings the live engine uses; empty: defaults. Live only.
  std::string config;
};
// Reads `timestamp,value` CSV on stdin, writes `timestamp,anomaly_score` on stdout; 1 on a bad
// row (printed as stdin:<line>: <field>: <why>), 2 on a bad --option, --config or a flag that
// the engine does not take.
int RunDetectSeries(const DetectSeriesFlags& flags);

}  // namespace om::server
