#include "server/server_config.h"

#include <fstream>

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace om::server {
namespace {

std::string Write(const testing::TempDir& dir, const std::string& text) {
  std::string path = dir.str() + "/outagemap.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(ServerConfigTest, DefaultsComeFromOptionStructs) {
  ServerConfig c;
  EXPECT_EQ(c.http.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.store.data_dir, "./var");
  EXPECT_EQ(c.store.fsync, store::FsyncPolicy::kInterval);
  EXPECT_EQ(c.store.fsync_interval, std::chrono::milliseconds(100));
  EXPECT_EQ(c.store.dedupe_window, std::chrono::minutes(30));
  EXPECT_EQ(c.ingest.max_batch_lines, 10000u);
  EXPECT_EQ(c.ingest.max_body_bytes, 8u << 20);
}

TEST(ServerConfigTest, FileOverridesEveryKind) {
  testing::TempDir dir;
  ServerConfig c;
  Status s = LoadServerConfig(Write(dir, R"(
[server]
listen = "127.0.0.1:9000"
threads = 3
[store]
fsync = "always"
fsync_interval_ms = 20
segment_mb = 8
minute_retention_days = 7
[ingest]
dedupe_window_minutes = 10
auto_register_services = true
max_problem_types = 12
max_batch_lines = 500
max_body_bytes = 1048576
[geo]
ip_database = "/srv/city.mmdb"
[detect]
outage_ratio = 4.5
dispersion = 0
clear_after_minutes = 20
weekly_profile = false
regional_top = 5
region_prior = 40.5
slow_window_minutes = 45
slow_excess_factor = 2.5
metro_window_minutes = 30
learn_dispersion = false
max_dispersion = 5
[notify]
group_dependents = false
)"),
                              c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.http.listen, "127.0.0.1:9000");
  EXPECT_EQ(c.http.threads, 3);
  EXPECT_EQ(c.store.fsync, store::FsyncPolicy::kAlways);
  EXPECT_EQ(c.store.fsync_interval, std::chrono::milliseconds(20));
  EXPECT_EQ(c.store.segment_bytes, 8u << 20);
  EXPECT_EQ(c.store.aggregates.minute_retention_days, 7);
  EXPECT_EQ(c.store.dedupe_window, std::chrono::minutes(10));
  EXPECT_TRUE(c.registry.auto_register_services);
  EXPECT_EQ(c.registry.max_problem_types, 12u);
  EXPECT_EQ(c.registry.max_services, 100000u) << "untouched";
  EXPECT_EQ(c.ingest.max_batch_lines, 500u);
  EXPECT_EQ(c.http.max_body_bytes, 1048576u);
  EXPECT_EQ(c.ip_database, "/srv/city.mmdb");
  EXPECT_EQ(c.detect.outage_ratio, 4.5);
  EXPECT_EQ(c.detect.dispersion, 0);
  EXPECT_EQ(c.detect.clear_after_minutes, 20);
  EXPECT_EQ(c.detect.outage_score, 8) << "untouched keys keep their defaults";
  EXPECT_FALSE(c.detect.weekly_profile);
  EXPECT_EQ(c.detect.min_weekly_samples, 4);
  EXPECT_FALSE(c.group_dependents);
  EXPECT_EQ(c.detect.regional_top, 5);
  EXPECT_EQ(c.detect.region_prior, 40.5);
  EXPECT_EQ(c.detect.slow_window_minutes, 45);
  EXPECT_EQ(c.detect.slow_excess_factor, 2.5);
  EXPECT_EQ(c.detect.metro_window_minutes, 30);
  EXPECT_EQ(c.detect.metro_min_expected, 1) << "untouched";
  EXPECT_TRUE(c.detect.regional) << "untouched";
  EXPECT_FALSE(c.detect.learn_dispersion);
  EXPECT_EQ(c.detect.max_dispersion, 5);
}

TEST(ServerConfigTest, BadValueNamesFileLineAndKey) {
  testing::TempDir dir;
  ServerConfig c;
  std::string path = Write(dir, "[store]\nfsync = \"never\"\n");
  Status s = LoadServerConfig(path, c);
  EXPECT_EQ(s.message(), path + ":2: store.fsync: must be one of always, interval");
  s = LoadServerConfig(Write(dir, "[detect]\noutage_ratio = 0.5\n"), c);
  EXPECT_EQ(s.message().rfind(path + ":2: detect.outage_ratio: must be between 1", 0), 0u)
      << s.message();
  s = LoadServerConfig(Write(dir, "[store]\nfsink = \"always\"\n"), c);
  EXPECT_EQ(s.message(), path + ":2: store.fsink: unknown key");
}

}  // namespace
}  // namespace om::server
