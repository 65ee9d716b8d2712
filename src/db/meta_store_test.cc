#include "db/meta_store.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace om::db {
namespace {

int64_t Count(MetaStore& meta, std::string_view sql) {
  return meta.Read([&](Database& db) -> int64_t {
    auto s = db.Prepare(sql);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return -1;
    auto row = s->Step();
    return row.ok() && *row ? s->ColumnInt(0) : -1;
  });
}

TEST(MetaStoreTest, ANewFileGetsEveryTableAndTheVersion) {
  testing::TempDir dir;
  auto meta = MetaStore::Open(dir.str() + "/meta.db");
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ((*meta)->opened_version(), 0);
  EXPECT_EQ(Count(**meta, "PRAGMA user_version"), MetaStore::kSchemaVersion);
  for (std::string_view table : {"api_keys", "incidents", "incident_updates", "subscriptions",
                                 "maintenances", "status_pages", "official_status_history",
                                 "learned_dispersion", "pipeline_state", "journal_position"}) {
    EXPECT_EQ(Count(**meta, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" +
                                std::string(table) + "'"),
              1)
        << table;
  }
  meta->reset();
  auto again = MetaStore::Open(dir.str() + "/meta.db");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->opened_version(), MetaStore::kSchemaVersion) << "nothing left to migrate";
}

// (Incidents of such a file: incidents/incident_records_test.cc.)
TEST(MetaStoreTest, AFileOfTheFirstReleasesGainsItsLaterColumnsAndKeepsItsRows) {
  testing::TempDir dir;
  std::string path = dir.str() + "/meta.db";
  {
    // Subscriptions as the first release with them wrote them: no version, no region column.
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(
        (*db)
            ->Exec("CREATE TABLE subscriptions (id TEXT PRIMARY KEY, channel TEXT NOT NULL,"
                   " url TEXT NOT NULL, secret TEXT NOT NULL, service TEXT NOT NULL,"
                   " min_impact TEXT NOT NULL, created_ms INTEGER NOT NULL,"
                   " cursor_seq INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                   " next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
                   " last_error TEXT NOT NULL DEFAULT '',"
                   " delivered INTEGER NOT NULL DEFAULT 0);"
                   "INSERT INTO subscriptions(id, channel, url, secret, service, min_impact,"
                   " created_ms, cursor_seq) VALUES ('s1', 'webhook', 'http://x', 'k',"
                   " 'outlook', 'none', 1, 7);")
            .ok());
  }
  auto meta = MetaStore::Open(path);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ((*meta)->opened_version(), 0);
  EXPECT_EQ(
      Count(**meta, "SELECT count(*) FROM subscriptions WHERE region = '' AND cursor_seq = 7"), 1)
      << "the row kept, the later column at its default";
  EXPECT_EQ(Count(**meta, "PRAGMA user_version"), MetaStore::kSchemaVersion);
}

TEST(MetaStoreTest, AFileOfANewerReleaseIsRefused) {
  testing::TempDir dir;
  std::string path = dir.str() + "/meta.db";
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  auto meta = MetaStore::Open(path);
  ASSERT_FALSE(meta.ok());
  EXPECT_NE(meta.status().ToString().find("schema version 99 is newer"), std::string::npos)
      << meta.status().ToString();
  EXPECT_NE(meta.status().ToString().find(path), std::string::npos);
}

TEST(MetaStoreTest, DeleteByIdNamesWhatIsMissing) {
  testing::TempDir dir;
  auto meta = MetaStore::Open(dir.str() + "/meta.db");
  ASSERT_TRUE(meta.ok());
  auto remove = [&](std::string_view id) {
    return (*meta)->Write([&](MetaStore::Transaction& tx) {
      return tx.DeleteById("maintenances", id, "no maintenance with id");
    });
  };
  ASSERT_TRUE((*meta)
                  ->Write([](MetaStore::Transaction& tx) {
                    return tx.Run(
                        "INSERT INTO maintenances(id, service, title, body, starts_ms, ends_ms, "
                        "created_ms) VALUES ('MW1', 'outlook', 't', 'b', 1, 2, 3)");
                  })
                  .ok());
  EXPECT_TRUE(remove("MW1").ok());
  Status gone = remove("MW1");
  EXPECT_EQ(gone.code(), StatusCode::kNotFound);
  EXPECT_EQ(gone.message(), "no maintenance with id \"MW1\"");
  EXPECT_EQ(Count(**meta, "SELECT count(*) FROM maintenances"), 0);
}

TEST(MetaStoreTest, AnUnwritablePathIsAnErrorNamingIt) {
  auto meta = MetaStore::Open("/nonexistent-dir/meta.db");
  ASSERT_FALSE(meta.ok());
  EXPECT_NE(meta.status().ToString().find("/nonexistent-dir/meta.db"), std::string::npos)
      << meta.status().ToString();
}

TEST(MetaStoreTest, AWriteIsAllOrNothing) {
  testing::TempDir dir;
  auto meta = MetaStore::Open(dir.str() + "/meta.db");
  ASSERT_TRUE(meta.ok());
  MetaStore& m = **meta;
  auto insert = [](MetaStore::Transaction& tx, std::string_view id) {
    return tx.Run("INSERT INTO status_pages(id, name, services, created_ms) VALUES (?, ?, ?, ?)",
                  {id, std::string_view("Page"), std::string_view("outlook"), int64_t{5}});
  };
  ASSERT_TRUE(m.Write([&](MetaStore::Transaction& tx) {
                 OM_RETURN_IF_ERROR(insert(tx, "a"));
                 EXPECT_EQ(tx.changes(), 1);
                 return insert(tx, "b");
               }).ok());
  EXPECT_EQ(Count(m, "SELECT count(*) FROM status_pages"), 2);
  // The second insert breaks the key: the first of the same transaction is rolled back too.
  Status failed = m.Write([&](MetaStore::Transaction& tx) {
    OM_RETURN_IF_ERROR(insert(tx, "c"));
    return insert(tx, "a");
  });
  EXPECT_EQ(failed.code(), StatusCode::kAlreadyExists) << failed.ToString();
  EXPECT_EQ(Count(m, "SELECT count(*) FROM status_pages"), 2);
  // And a function's own error rolls back as well; the store stays usable.
  Status refused = m.Write([&](MetaStore::Transaction& tx) {
    OM_RETURN_IF_ERROR(insert(tx, "d"));
    return Status::InvalidArgument("changed my mind");
  });
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count(m, "SELECT count(*) FROM status_pages"), 2);
  ASSERT_TRUE(m.Write([&](MetaStore::Transaction& tx) {
                 OM_RETURN_IF_ERROR(tx.Run("UPDATE status_pages SET name = ? WHERE id = ?",
                                           {std::string_view("Renamed"), std::string_view("b")}));
                 EXPECT_EQ(tx.changes(), 1);
                 return tx.Run("UPDATE status_pages SET services = NULL WHERE id = ?",
                               {std::string_view("nope")});
               }).ok());
}

}  // namespace
}  // namespace om::db
