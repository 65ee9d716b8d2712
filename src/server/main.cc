// outagemap: the command-line entry point. Subcommands: serve, demo, import, export, backtest,
// simulate, evaluate, detect-series, keys, version.
#include <signal.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "server/commands.h"
#include "server/signals.h"

namespace {

int Main(int argc, char** argv) {
  om::server::BlockStopSignals();
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"outagemap: crowd-sourced outage detection and outage map"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  om::server::ServeFlags serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the server");
  serve_cmd->add_option("--listen", serve.listen,
                        "HOST:PORT to listen on (default 127.0.0.1:8080)");
  serve_cmd->add_option("--data", serve.data_dir, "Data directory (default ./var)");
  serve_cmd->add_option("--config", serve.config_file, "TOML configuration file");
  serve_cmd->add_option(
      "--cluster", serve.cluster,
      "Cluster mode: NATS servers, comma-separated (nats://h1:4222,nats://h2:4222)");
  serve_cmd->add_option("--node-id", serve.node_id,
                        "This node's name in the cluster (default: the host name)");

  om::server::DemoFlags demo;
  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Serve a fresh data dir and replay the built-in Microsoft 365 outage scenario");
  demo_cmd->add_option("--listen", demo.listen, "HOST:PORT to listen on")->default_val(demo.listen);
  demo_cmd->add_option("--data", demo.data_dir,
                       "Data directory; must be empty or absent (default: a new dir under ./var)");
  demo_cmd->add_option("--speed", demo.speed, "Event minutes per wall-clock second")
      ->default_val(demo.speed)
      ->check(CLI::Range(0.1, 600.0));
  demo_cmd
      ->add_option("--history-days", demo.history_days, "Days of normal history before the outage")
      ->default_val(demo.history_days)
      ->check(CLI::Range(1, 60));
  demo_cmd->add_option("--catalog", demo.catalog_file,
                       "A user service catalog (TOML) merged into the built-in one");
  demo_cmd->add_flag("--exit-after-replay", demo.exit_after_replay,
                     "Stop once the scenario has been replayed (for tests)");

  om::server::ImportFlags import;
  CLI::App* import_cmd =
      app.add_subcommand("import", "Import reports from NDJSON or CSV into a data dir");
  import_cmd
      ->add_option("file", import.file,
                   "NDJSON (.ndjson, .jsonl) or CSV (.csv) file, optionally .gz")
      ->required();
  import_cmd->add_option("--data", import.data_dir, "Data directory (default ./var)");
  import_cmd->add_option("--config", import.config_file, "TOML configuration file");
  import_cmd->add_option("--format", import.format, "ndjson or csv (default: from the file name)")
      ->check(CLI::IsMember({"ndjson", "csv"}));
  import_cmd->add_flag("--no-progress", import.no_progress, "Never draw a progress bar");
  import_cmd->add_option("--cluster", import.cluster,
                         "Publish to a cluster's report stream: NATS servers, comma-separated");

  om::server::BacktestFlags backtest;
  CLI::App* backtest_cmd = app.add_subcommand(
      "backtest", "Replay reports in event time through detection and write the incidents");
  backtest_cmd->add_option("--reports", backtest.reports, "NDJSON reports, optionally .gz")
      ->required();
  backtest_cmd->add_option("--out", backtest.out, "Incidents as NDJSON")->required();
  backtest_cmd->add_option("--catalog", backtest.catalog,
                           "A user catalog merged into the built-in");
  backtest_cmd->add_flag("--no-progress", backtest.no_progress, "Never draw a progress bar");
  backtest_cmd->add_option("--config", backtest.config,
                           "A server config (TOML): detection uses its [detect] settings");
  backtest_cmd
      ->add_option("--method", backtest.method,
                   "outagemap, or reference: the naive method (15-minute buckets, 3x the mean of "
                   "the same time of day, cities by raw counts)")
      ->check(CLI::IsMember({"outagemap", "reference"}));

  om::server::SimulateFlags simulate;
  CLI::App* simulate_cmd = app.add_subcommand(
      "simulate", "Write a scenario's reports and ground truth (for backtest and evaluate)");
  CLI::Option* scenario_opt =
      simulate_cmd->add_option("--scenario", simulate.scenario, "Scenario TOML");
  CLI::Option* random_opt = simulate_cmd->add_flag(
      "--random", simulate.random,
      "A randomised world (docs/detection.md#randomised-worlds) instead of a scenario file");
  scenario_opt->excludes(random_opt);
  simulate_cmd->add_option("--out", simulate.out, "Output directory")->required();
  simulate_cmd->add_option("--seed", simulate.seed, "Seed of the randomised world")
      ->needs(random_opt);
  simulate_cmd->add_option("--days", simulate.days, "Days of the randomised world (2-60)")
      ->needs(random_opt)
      ->capture_default_str();
  simulate_cmd->add_option("--services", simulate.services, "Services (10-2000)")
      ->needs(random_opt)
      ->capture_default_str();
  simulate_cmd->add_option("--outages", simulate.outages, "Primary outages (cascades add more)")
      ->needs(random_opt)
      ->capture_default_str();
  simulate_cmd
      ->add_option("--warmup-days", simulate.warmup_days,
                   "Days of history before anything is judged")
      ->needs(random_opt)
      ->capture_default_str();
  simulate_cmd->add_flag("--quiet", simulate.quiet, "No outages: only traps (surges, spammers)")
      ->needs(random_opt);

  om::server::EvaluateFlags evaluate;
  CLI::App* evaluate_cmd =
      app.add_subcommand("evaluate", "Score backtest incidents against ground truth");
  evaluate_cmd->add_option("--truth", evaluate.truth, "Ground truth NDJSON")->required();
  evaluate_cmd->add_option("--incidents", evaluate.incidents, "outagemap's incidents")->required();
  evaluate_cmd->add_option("--reference", evaluate.reference,
                           "The reference method's incidents (backtest --method reference)");
  evaluate_cmd->add_option("--service-days", evaluate.service_days,
                           "Service-days covered, for false incidents per 1000 service-days");
  evaluate_cmd->add_option("--k", evaluate.k, "Cities judged for precision@k")->default_val(10);
  evaluate_cmd->add_option("--from", evaluate.from,
                           "Judge only incidents detected from this RFC 3339 time (after a "
                           "world's warm-up)");
  evaluate_cmd->add_flag("--json", evaluate.json,
                         "Print the counts behind the figures, one JSON object per method");

  om::server::ExportFlags export_flags;
  CLI::App* export_cmd =
      app.add_subcommand("export", "Write the reports of a time range as NDJSON");
  export_cmd->add_option("--data", export_flags.data_dir, "Data directory (default ./var)");
  export_cmd->add_option("--from", export_flags.from, "Start (RFC 3339 or epoch ms), inclusive");
  export_cmd->add_option("--to", export_flags.to, "End (RFC 3339 or epoch ms), exclusive");
  export_cmd->add_option("--service", export_flags.service, "Only this service id");
  export_cmd->add_option("--out", export_flags.out, "Output file (default: standard output)");

  om::server::DetectSeriesFlags detect_series;
  CLI::App* detect_series_cmd = app.add_subcommand(
      "detect-series",
      "Score a time series for anomalies: reads CSV `timestamp,value` on stdin (header allowed, "
      "timestamps YYYY-MM-DD HH:MM:SS UTC or Unix seconds), writes `timestamp,anomaly_score` "
      "(score in [0,1], causal) on stdout; see docs/detection-nab.md");
  detect_series_cmd
      ->add_option("--engine", detect_series.engine,
                   "series (default): the series detector, for any series; live: the server's "
                   "detector on a count series")
      ->check(CLI::IsMember({"series", "live"}));
  detect_series_cmd->add_option("--option", detect_series.options,
                                "NAME=VALUE: override a SeriesOptions field "
                                "(src/detect/series_detector.h); repeatable; series engine");
  detect_series_cmd->add_option("--config", detect_series.config,
                                "Server config whose [detect] settings the live engine uses");

  om::server::KeysFlags keys;
  CLI::App* keys_cmd = app.add_subcommand(
      "keys", "Manage API keys (stored hashed in DATA/meta.db; safe beside a running server)");
  keys_cmd->require_subcommand(1);
  CLI::App* keys_create = keys_cmd->add_subcommand("create", "Create a key and print it once");
  keys_create->add_option("--name", keys.name, "What the key is for")->required();
  keys_create
      ->add_option("--scopes", keys.scopes, "Comma-separated: report:write, incident:write, admin")
      ->required();
  keys_create->add_option("--data", keys.data_dir, "Data directory (default ./var)");
  keys_create->add_option(
      "--cluster", keys.cluster,
      "A cluster's keys (NATS servers, comma-separated) instead of a data dir's");
  CLI::App* keys_list = keys_cmd->add_subcommand("list", "List keys (ids, never the secrets)");
  keys_list->add_option("--data", keys.data_dir, "Data directory (default ./var)");
  keys_list->add_option("--cluster", keys.cluster,
                        "A cluster's keys (NATS servers, comma-separated) instead of a data dir's");
  CLI::App* keys_revoke = keys_cmd->add_subcommand("revoke", "Revoke a key by id");
  keys_revoke->add_option("id", keys.id, "The key's id (12 hex digits)")->required();
  keys_revoke->add_option("--data", keys.data_dir, "Data directory (default ./var)");
  keys_revoke->add_option(
      "--cluster", keys.cluster,
      "A cluster's keys (NATS servers, comma-separated) instead of a data dir's");

  app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help); a usage error exits 2, as every other bad argument
    // does, rather than CLI11's own codes.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  om::SetMinLogLevel(log_level == "debug"   ? om::LogLevel::kDebug
                     : log_level == "warn"  ? om::LogLevel::kWarning
                     : log_level == "error" ? om::LogLevel::kError
                                            : om::LogLevel::kInfo);
  if (*serve_cmd) return om::server::RunServe(serve);
  if (*demo_cmd) return om::server::RunDemo(demo);
  if (*import_cmd) return om::server::RunImport(import);
  if (*export_cmd) return om::server::RunExport(export_flags);
  if (*backtest_cmd) return om::server::RunBacktest(backtest);
  if (*evaluate_cmd) return om::server::RunEvaluate(evaluate);
  if (*simulate_cmd) return om::server::RunSimulate(simulate);
  if (*detect_series_cmd) return om::server::RunDetectSeries(detect_series);
  if (*keys_cmd) {
    keys.action = *keys_create ? "create" : *keys_list ? "list" : "revoke";
    return om::server::RunKeys(keys);
  }
  std::printf("outagemap %s\n", om::server::kVersion);
  return 0;
}

}  // namespace

// Errors are Status values; an exception reaching here is a defect (or an allocation failure),
// reported in one line with exit code 70 (EX_SOFTWARE) instead of std::terminate's abort.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "outagemap: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "outagemap: fatal: unknown exception\n");
  }
  return 70;
}
