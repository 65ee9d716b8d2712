#include "config/config_file.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace om::config {
namespace {

TEST(ConfigFileTest, OverridesOnlyWhatIsSet) {
  auto file = ConfigFile::Parse("[store]\nfsync = \"always\"\nfsync_interval_ms = 250\n", "t.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::string fsync = "interval";
  int64_t interval = 100, segment = 64;
  ASSERT_TRUE(file->GetEnum("store.fsync", {"always", "interval"}, fsync).ok());
  ASSERT_TRUE(file->GetInt("store.fsync_interval_ms", 1, 10000, interval).ok());
  ASSERT_TRUE(file->GetInt("store.segment_mb", 1, 1024, segment).ok());
  EXPECT_EQ(fsync, "always");
  EXPECT_EQ(interval, 250);
  EXPECT_EQ(segment, 64);
  EXPECT_TRUE(file->CheckNoUnknownKeys().ok());
}

TEST(ConfigFileTest, ErrorsNameFileLineAndKey) {
  auto file =
      ConfigFile::Parse("[store]\n\nfsync = \"sometimes\"\nfsync_interval_ms = \"x\"\n", "o.toml");
  ASSERT_TRUE(file.ok());
  std::string fsync = "interval";
  Status s = file->GetEnum("store.fsync", {"always", "interval"}, fsync);
  EXPECT_EQ(s.message(), "o.toml:3: store.fsync: must be one of always, interval");
  int64_t interval = 100;
  s = file->GetInt("store.fsync_interval_ms", 1, 10000, interval);
  EXPECT_EQ(s.message(), "o.toml:4: store.fsync_interval_ms: must be an integer");
  EXPECT_EQ(interval, 100);
}

TEST(ConfigFileTest, StringArrays) {
  auto file = ConfigFile::Parse(
      "[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\nbad = [\"a\",\n  2]\n", "a.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::vector<std::string> proxies = {"x"}, absent = {"kept"}, bad;
  ASSERT_TRUE(file->GetStringArray("server.trusted_proxies", proxies).ok());
  EXPECT_EQ(proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
  ASSERT_TRUE(file->GetStringArray("server.none", absent).ok());
  EXPECT_EQ(absent, (std::vector<std::string>{"kept"}));
  EXPECT_EQ(file->GetStringArray("server.bad", bad).message(),
            "a.toml:4: server.bad: must be an array of strings");
}

TEST(ConfigFileTest, RangeAndUnknownKeys) {
  auto file = ConfigFile::Parse("[ingest]\nmax_batch_lines = 0\ntypo_key = 1\n", "c.toml");
  ASSERT_TRUE(file.ok());
  int64_t lines = 10000;
  EXPECT_EQ(file->GetInt("ingest.max_batch_lines", 1, 1000000, lines).message(),
            "c.toml:2: ingest.max_batch_lines: must be between 1 and 1000000");
  EXPECT_EQ(file->CheckNoUnknownKeys().message(), "c.toml:3: ingest.typo_key: unknown key");
}

TEST(ConfigFileTest, SyntaxErrorNamesLine) {
  auto file = ConfigFile::Parse("[store]\nfsync = \n", "bad.toml");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message().rfind("bad.toml:2: ", 0), 0u) << file.status().message();
}

TEST(ConfigFileTest, MissingFileIsNotFound) {
  auto file = ConfigFile::Load("/nonexistent/outagemap.toml");
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
}

TEST(ConfigFileTest, SettledValuesAreTheFilesElseTheDefaults) {
  auto file = ConfigFile::Parse("[a]\nn = 7\nx = 0.25\nname = \"eu\"\n", "t.toml");
  ASSERT_TRUE(file.ok());
  int64_t n = 1, m = 2;
  double x = 1, y = 0.05;
  bool b = true;
  std::string name = "us", empty;
  std::vector<std::string> list = {"p", "q"};
  ASSERT_TRUE(file->GetInt("a.n", 0, 10, n).ok());
  ASSERT_TRUE(file->GetInt("a.m", 0, 10, m).ok());
  ASSERT_TRUE(file->GetDouble("a.x", 0, 1, x).ok());
  ASSERT_TRUE(file->GetDouble("a.y", 0, 1, y).ok());
  ASSERT_TRUE(file->GetBool("a.b", b).ok());
  ASSERT_TRUE(file->GetString("a.name", name).ok());
  ASSERT_TRUE(file->GetString("a.empty", empty).ok());
  ASSERT_TRUE(file->GetStringArray("a.list", list).ok());
  std::map<std::string, std::string> want = {
      {"a.n", "7"},    {"a.m", "2"},     {"a.x", "0.25"},     {"a.y", "0.05"},
      {"a.b", "true"}, {"a.name", "eu"}, {"a.empty", "\"\""}, {"a.list", "[\"p\", \"q\"]"}};
  EXPECT_EQ(file->Settled(), want);
}

}  // namespace
}  // namespace om::config
