#include "db/database.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace om::db {
namespace {

TEST(DatabaseTest, CreatesInsertsSelectsAndNamesErrors) {
  testing::TempDir dir;
  auto db = Database::Open(dir.str() + "/t.db");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(id TEXT PRIMARY KEY, n INTEGER, note TEXT)").ok());
  auto insert = (*db)->Prepare("INSERT INTO t(id, n, note) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  insert->Bind(1, "a").Bind(2, int64_t{1} << 40).BindNull(3);
  ASSERT_TRUE(insert->Run().ok());
  insert->Bind(1, "b").Bind(2, int64_t{-2}).Bind(3, std::string_view("x\xc3\xa9"));
  ASSERT_TRUE(insert->Run().ok());
  EXPECT_EQ((*db)->Changes(), 1);
  // A duplicate key is kAlreadyExists and names the statement.
  insert->Bind(1, "a").Bind(2, int64_t{0});
  Status dup = insert->Run();
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.ToString();
  EXPECT_NE(dup.message().find("UNIQUE constraint failed: t.id"), std::string::npos)
      << dup.message();
  auto select = (*db)->Prepare("SELECT id, n, note FROM t ORDER BY id");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnText(0), "a");
  EXPECT_EQ(select->ColumnInt(1), int64_t{1} << 40);
  EXPECT_TRUE(select->ColumnIsNull(2));
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnText(2), "x\xc3\xa9");
  EXPECT_FALSE(*select->Step());
  Status bad = (*db)->Exec("SELEKT 1");
  EXPECT_EQ(bad.code(), StatusCode::kIoError);
  EXPECT_NE(bad.message().find("SELEKT 1: near \"SELEKT\": syntax error"), std::string::npos)
      << bad.message();
  EXPECT_FALSE((*db)->Prepare("SELECT nope FROM t").ok());
}

TEST(DatabaseTest, DataVersionMovesWhenAnotherConnectionCommits) {
  testing::TempDir dir;
  auto a = std::move(*Database::Open(dir.str() + "/t.db"));
  auto b = std::move(*Database::Open(dir.str() + "/t.db"));
  ASSERT_TRUE(a->Exec("CREATE TABLE t(x INTEGER)").ok());
  int64_t before = *b->DataVersion();
  EXPECT_EQ(*b->DataVersion(), before);
  ASSERT_TRUE(a->Exec("INSERT INTO t VALUES (1)").ok());
  EXPECT_NE(*b->DataVersion(), before);
}

TEST(DatabaseTest, AddColumnIfMissingAddsOnceAndKeepsRows) {
  testing::TempDir dir;
  auto db = std::move(*Database::Open(dir.str() + "/t.db"));
  ASSERT_TRUE(db->Exec("CREATE TABLE t(a INTEGER); INSERT INTO t VALUES (7)").ok());
  ASSERT_TRUE(db->AddColumnIfMissing("t", "b", "TEXT NOT NULL DEFAULT 'x'").ok());
  // A second call (the next start) finds it and does nothing.
  Status again = db->AddColumnIfMissing("t", "b", "TEXT NOT NULL DEFAULT 'x'");
  EXPECT_TRUE(again.ok()) << again.ToString();
  auto select = std::move(*db->Prepare("SELECT a, b FROM t"));
  ASSERT_TRUE(*select.Step());
  EXPECT_EQ(select.ColumnInt(0), 7);
  EXPECT_EQ(select.ColumnText(1), "x");
  EXPECT_FALSE(db->AddColumnIfMissing("nope", "c", "TEXT").ok());
}

TEST(DatabaseTest, NotADatabaseIsCorruption) {
  testing::TempDir dir;
  std::string path = dir.str() + "/junk.db";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not an SQLite file, not at all, and long enough to have a header", f);
  std::fclose(f);
  auto db = Database::Open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption) << db.status().ToString();
  EXPECT_NE(db.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace om::db
