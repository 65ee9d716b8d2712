#include "server/server_config.h"

#include <fstream>
#include <map>
#include <string>
#include <vector>

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

// The README's configuration table is the reference users read: it must list exactly the keys
// the server reads, each with the default the option structs give it. A row may name several
// keys of one section ("`detect.possible_score`, `possible_ratio`") with as many defaults.
TEST(ServerConfigTest, ConfigurationTableListsEveryKeyWithItsDefault) {
  std::ifstream in(std::string(OM_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in) << "README.md not found";
  std::map<std::string, std::string> documented, meanings;
  std::string line;
  bool in_table = false;
  auto code_spans = [](const std::string& cell) {
    std::vector<std::string> spans;
    for (size_t open = cell.find('`'); open != std::string::npos;) {
      size_t close = cell.find('`', open + 1);
      if (close == std::string::npos) break;
      spans.push_back(cell.substr(open + 1, close - open - 1));
      open = cell.find('`', close + 1);
    }
    return spans;
  };
  while (std::getline(in, line)) {
    if (line == "| key | meaning | default |") {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.empty() || line[0] != '|') break;  // the table ends
    if (line.starts_with("|---")) continue;
    // | keys | meaning | defaults |: the first and the last cell.
    size_t first_end = line.find(" | ");
    size_t last_start = line.rfind(" | ");
    ASSERT_NE(first_end, std::string::npos) << line;
    std::vector<std::string> keys = code_spans(line.substr(0, first_end));
    std::vector<std::string> defaults = code_spans(line.substr(last_start));
    ASSERT_FALSE(keys.empty()) << line;
    ASSERT_EQ(keys.size(), defaults.size()) << "one default per key: " << line;
    std::string section = keys[0].substr(0, keys[0].find('.') + 1);
    std::string meaning_cell = line.substr(first_end + 3, last_start - first_end - 3);
    for (size_t k = 0; k < keys.size(); ++k) {
      std::string key = keys[k].find('.') == std::string::npos ? section + keys[k] : keys[k];
      EXPECT_TRUE(documented.emplace(key, defaults[k]).second) << key << " is listed twice";
      meanings[key] = meaning_cell;
    }
  }
  ASSERT_GT(documented.size(), 50u) << "the configuration table was not found";

  // What the server reads, and the defaults it settles on with an empty file.
  config::ConfigFile empty;
  ServerConfig config;
  ASSERT_TRUE(ApplyServerConfig(empty, config).ok());
  std::map<std::string, std::string> read = empty.Settled();
  for (const auto& [key, value] : read) {
    auto found = documented.find(key);
    if (found == documented.end()) {
      ADD_FAILURE() << key << " is read by the server but missing from README.md's table";
      continue;
    }
    EXPECT_EQ(found->second, value) << "README.md's default of " << key;
  }
  for (const auto& [key, value] : documented) {
    EXPECT_TRUE(read.count(key)) << key << " is in README.md's table but the server never reads it";
  }

  // What the modules declare next to their Options structs: exactly the keys of the table, with
  // its meanings, and ranges that hold the defaults.
  std::map<std::string, const OptionKey*> declared;
  for (const OptionKey& key : DeclaredOptionKeys()) {
    EXPECT_TRUE(declared.emplace(std::string(key.name), &key).second) << key.name << " twice";
  }
  for (const auto& [key, value] : documented) {
    auto found = declared.find(key);
    if (found == declared.end()) {
      ADD_FAILURE() << key << " is in README.md's table but no module declares it";
      continue;
    }
    EXPECT_EQ(meanings[key], found->second->meaning) << "README.md's meaning of " << key;
    if (found->second->type == OptionType::kInt || found->second->type == OptionType::kDouble) {
      double default_value = std::stod(read[key]);
      EXPECT_LE(found->second->min, default_value) << key;
      EXPECT_GE(found->second->max, default_value) << key;
      EXPECT_LT(found->second->min, found->second->max) << key;
    }
  }
  for (const auto& [key, declaration] : declared) {
    EXPECT_TRUE(documented.count(key)) << key << " is declared but missing from README.md's table";
  }
}

}  // namespace
}  // namespace om::server
