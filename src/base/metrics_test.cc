#include "base/metrics.h"

#include <gtest/gtest.h>

namespace om {
namespace {

TEST(MetricsTest, RendersCountersWithLabelsUnderOneHeader) {
  MetricsRegistry r;
  r.GetCounter("om_rejects_total", "Rejected reports.", "reason=\"bad_json\"").Add(3);
  r.GetCounter("om_rejects_total", "Rejected reports.", "reason=\"unknown_service\"").Add();
  r.GetCounter("om_rejects_total", "Rejected reports.", "reason=\"bad_json\"").Add();
  std::string text = r.RenderText();
  EXPECT_NE(text.find("# TYPE om_rejects_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("om_rejects_total{reason=\"bad_json\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("om_rejects_total{reason=\"unknown_service\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("# HELP om_rejects_total"), text.rfind("# HELP om_rejects_total"));
}

TEST(MetricsTest, HistogramIsCumulative) {
  MetricsRegistry r;
  Histogram& h = r.GetHistogram("om_fsync_seconds", "fsync latency.", {0.001, 0.01});
  h.Observe(0.0005);
  h.Observe(0.005);
  h.Observe(1);
  std::string text = r.RenderText();
  EXPECT_NE(text.find("om_fsync_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("om_fsync_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("om_fsync_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("om_fsync_seconds_count 3\n"), std::string::npos);
}

TEST(MetricsTest, CallbackGaugeReadsAtScrape) {
  MetricsRegistry r;
  double depth = 7;
  r.AddCallbackGauge("om_queue_depth", "Queue depth.", [&] { return depth; });
  EXPECT_NE(r.RenderText().find("om_queue_depth 7\n"), std::string::npos);
  depth = 9;
  EXPECT_NE(r.RenderText().find("om_queue_depth 9\n"), std::string::npos);
}

}  // namespace
}  // namespace om
