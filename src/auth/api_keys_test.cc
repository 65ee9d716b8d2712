#include "auth/api_keys.h"

#include <thread>

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "testing/temp_dir.h"

namespace om::auth {
namespace {

constexpr int64_t kNow = 1769092620000;

TEST(ScopesTest, ParseAndName) {
  EXPECT_EQ(*ParseScopes("report:write"), uint32_t{kReportWrite});
  EXPECT_EQ(*ParseScopes("incident:write, report:write"), uint32_t{kReportWrite | kIncidentWrite});
  EXPECT_EQ(ScopeNames(kReportWrite | kAdmin), "report:write,admin");
  EXPECT_EQ(ParseScopes("report:read").status().message(),
            "scopes: unknown scope \"report:read\" (report:write, incident:write, admin)");
  EXPECT_FALSE(ParseScopes("").ok());
}

TEST(ApiKeysTest, CreateAuthenticateRevoke) {
  testing::TempDir dir;
  auto meta = db::TestingMetaStore(dir.str());
  auto keys = std::move(*ApiKeys::Open(*meta));
  auto created = keys->Create("bulk importer", kReportWrite, FromUnixMillis(kNow));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  const std::string& token = created->token;
  EXPECT_EQ(token.size(), 3u + 12 + 1 + 64);
  EXPECT_TRUE(token.starts_with("om_" + created->key.id + "_"));

  auto ok = keys->Authenticate("Bearer " + token, kReportWrite);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->name, "bulk importer");
  EXPECT_EQ(keys->Authenticate("Bearer " + token, kIncidentWrite).status().code(),
            StatusCode::kPermissionDenied);
  // One changed digit of the secret, a malformed header, a key of the right shape unknown here.
  std::string wrong = token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(keys->Authenticate("Bearer " + wrong, kReportWrite).status().message(),
            "Authorization: unknown or revoked API key");
  EXPECT_EQ(keys->Authenticate(token, kReportWrite).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(keys->Authenticate("Bearer om_short", kReportWrite).status().message(),
            "Authorization: not an outagemap API key");

  auto list = keys->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, created->key.id);
  EXPECT_EQ((*list)[0].revoked_ms, 0);
  ASSERT_TRUE(keys->Revoke(created->key.id, FromUnixMillis(kNow + 1000)).ok());
  EXPECT_TRUE(keys->Revoke(created->key.id, FromUnixMillis(kNow + 2000)).ok()) << "idempotent";
  EXPECT_EQ((*keys->List())[0].revoked_ms, kNow + 1000);
  EXPECT_EQ(keys->Authenticate("Bearer " + token, kReportWrite).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(keys->Revoke("0123456789ab", FromUnixMillis(kNow)).code(), StatusCode::kNotFound);
  EXPECT_FALSE(keys->Create("", kAdmin, FromUnixMillis(kNow)).ok());
  EXPECT_FALSE(keys->Create("x", 0, FromUnixMillis(kNow)).ok());
}

TEST(ApiKeysTest, AdminHasEveryScope) {
  testing::TempDir dir;
  auto meta = db::TestingMetaStore(dir.str());
  auto keys = std::move(*ApiKeys::Open(*meta));
  auto admin = *keys->Create("ops", kAdmin, FromUnixMillis(kNow));
  EXPECT_TRUE(keys->Authenticate("Bearer " + admin.token, kIncidentWrite).ok());
  EXPECT_TRUE(keys->Authenticate("Bearer " + admin.token, kReportWrite).ok());
}

TEST(ApiKeysTest, AKeyCreatedHereWorksAtOnceAfterAnotherWasChecked) {
  // The cache was just filled; our own INSERT does not move SQLite's data_version.
  testing::TempDir dir;
  auto meta = db::TestingMetaStore(dir.str());
  auto keys = std::move(*ApiKeys::Open(*meta));
  auto first = *keys->Create("first", kReportWrite, FromUnixMillis(kNow));
  ASSERT_TRUE(keys->Authenticate("Bearer " + first.token, kReportWrite).ok());
  auto second = *keys->Create("second", kReportWrite, FromUnixMillis(kNow));
  auto checked = keys->Authenticate("Bearer " + second.token, kReportWrite);
  EXPECT_TRUE(checked.ok()) << checked.status().ToString();
}

TEST(ApiKeysTest, SecondConnectionSeesNewAndRevokedKeysWithinASecond) {
  testing::TempDir dir;
  // Two processes: two connections to one file.
  auto server_meta = db::TestingMetaStore(dir.str());
  auto cli_meta = db::TestingMetaStore(dir.str());
  auto server = std::move(*ApiKeys::Open(*server_meta));
  auto cli = std::move(*ApiKeys::Open(*cli_meta));
  EXPECT_FALSE(server->Authenticate("Bearer om_000000000000_" + std::string(64, '0'), kAdmin).ok());
  auto created = *cli->Create("ci", kIncidentWrite, FromUnixMillis(kNow));
  bool seen = false;
  for (int i = 0; i < 30 && !seen; ++i) {  // bounded: 3 s
    seen = server->Authenticate("Bearer " + created.token, kIncidentWrite).ok();
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(seen);
  ASSERT_TRUE(cli->Revoke(created.key.id, FromUnixMillis(kNow)).ok());
  bool refused = false;
  for (int i = 0; i < 30 && !refused; ++i) {
    refused = !server->Authenticate("Bearer " + created.token, kIncidentWrite).ok();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(refused);
}

TEST(ApiKeysTest, ConcurrentChecksAreSafe) {
  testing::TempDir dir;
  auto meta = db::TestingMetaStore(dir.str());
  auto keys = std::move(*ApiKeys::Open(*meta));
  auto created = *keys->Create("load", kReportWrite, FromUnixMillis(kNow));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        ok += keys->Authenticate("Bearer " + created.token, kReportWrite).ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

}  // namespace
}  // namespace om::auth
