// `outagemap detect-series`: scores a `timestamp,value` CSV on stdin with detect::SeriesDetector
// and prints `timestamp,anomaly_score` rows (docs/detection-nab.md).
#include <cstdio>
#include <iostream>
#include <string>

#include "detect/series_detector.h"
#include "server/commands.h"

namespace om::server {

int RunDetectSeries(const DetectSeriesFlags& flags) {
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
  Status s = detect::ScoreSeriesCsv(std::cin, std::cout, "stdin", options);
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

}  // namespace om::server
