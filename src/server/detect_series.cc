// `outagemap detect-series`: scores a `timestamp,value` CSV on stdin with detect::SeriesDetector,
// or with the server's detector (`--engine live`, pipeline::LiveSeriesScorer), and prints
// `timestamp,anomaly_score` rows (docs/detection-nab.md).
#include <cstdio>
#include <iostream>
#include <string>

#include "detect/series_detector.h"
#include "pipeline/live_series.h"
#include "server/commands.h"
#include "server/server_config.h"

namespace om::server {

namespace {

// Exit code and message of a finished run: 1 on a bad row or an unwritable output.
int Finish(const Status& s) {
  if (!s.ok()) {
    std::cout.flush();
    std::fprintf(stderr, "outagemap detect-series: %s\n", s.message().c_str());
    return 1;
  }
  if (!std::cout) {
    std::fprintf(stderr, "outagemap detect-series: cannot write standard output\n");
    return 1;
  }
  return 0;
}

// The live engine: the server's detector with the [detect] settings of `flags.config`.
int RunLiveEngine(const DetectSeriesFlags& flags) {
  if (!flags.options.empty()) {
    std::fprintf(stderr,
                 "outagemap detect-series: --option sets the series engine; the live engine "
                 "takes --config\n");
    return 2;
  }
  Result<ServerConfig> config = ConfigFromFlag(flags.config);
  if (!config.ok()) {
    std::fprintf(stderr, "outagemap detect-series: %s\n", config.status().ToString().c_str());
    return 2;
  }
  pipeline::LiveSeriesScorer scorer(config->detect);
  std::ios::sync_with_stdio(false);
  return Finish(detect::ScoreCsv(std::cin, std::cout, "stdin", [&scorer](int64_t t, double value) {
    return scorer.Update(t, value);
  }));
}

}  // namespace

int RunDetectSeries(const DetectSeriesFlags& flags) {
  if (flags.engine == "live") return RunLiveEngine(flags);
  if (!flags.config.empty()) {
    std::fprintf(stderr,
                 "outagemap detect-series: --config sets the live engine (--engine live); the "
                 "series engine takes --option\n");
    return 2;
  }
  detect::SeriesOptions options;
  for (const std::string& kv : flags.options) {
    size_t eq = kv.find('=');
    Status s = eq == std::string::npos
                   ? Status::InvalidArgument(kv + ": expected NAME=VALUE")
                   : detect::SetSeriesOption(options, std::string_view(kv).substr(0, eq),
                                             std::string_view(kv).substr(eq + 1));
    if (!s.ok()) {
      std::fprintf(stderr, "outagemap detect-series: --option %s\n", s.message().c_str());
      return 2;
    }
  }
  std::ios::sync_with_stdio(false);
  return Finish(detect::ScoreSeriesCsv(std::cin, std::cout, "stdin", options));
}

}  // namespace om::server
