// The journal of meta.db writes (meta_journal.h) on an in-memory journal: entries encode and
// decode, two stores that apply each other's entries hold the same rows, a store that lost the
// race to append runs its transaction again on top of the winner's, a leader fenced off by a
// later term writes nothing, and the applied position survives a reopen.

#include "db/meta_journal.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "db/meta_store.h"
#include "testing/temp_dir.h"

namespace om::db {
namespace {

// A journal in memory with JetStream's expected-last-sequence rule.
class MemoryJournal final : public MetaJournal {
 public:
  Result<uint64_t> Append(std::string_view entry, uint64_t after) override {
    std::lock_guard lock(mu_);
    if (after != entries_.size()) {
      ++conflicts_;
      return Status::AlreadyExists("wrong last sequence: " + std::to_string(entries_.size()));
    }
    entries_.emplace_back(entry);
    return entries_.size();
  }
  // Applies to `store` every entry after its position; false on an error.
  bool Pump(MetaStore& store) {
    std::vector<std::string> entries;
    {
      std::lock_guard lock(mu_);
      entries = entries_;
    }
    for (uint64_t seq = store.journal_position() + 1; seq <= entries.size(); ++seq) {
      Status s = store.ApplyJournalEntry(seq, entries[seq - 1]);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) return false;
    }
    return true;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return entries_.size();
  }
  int conflicts() {
    std::lock_guard lock(mu_);
    return conflicts_;
  }

 private:
  std::mutex mu_;
  int conflicts_ = 0;
  std::vector<std::string> entries_;
};

// Every row of the tables a journal changes, as text, in a stable order.
std::string Rows(MetaStore& meta) {
  return meta.Read([](Database& db) {
    std::string out;
    for (const char* sql :
         {"SELECT id || '|' || name || '|' || revoked_ms FROM api_keys ORDER BY id",
          "SELECT seq || '|' || incident || '|' || body FROM incident_updates ORDER BY seq"}) {
      auto statement = db.Prepare(sql);
      EXPECT_TRUE(statement.ok()) << statement.status().ToString();
      while (statement.ok()) {
        auto row = statement->Step();
        if (!row.ok() || !*row) break;
        out += statement->ColumnText(0);
        out += "\n";
      }
    }
    return out;
  });
}

Status AddKey(MetaStore& meta, std::string_view id) {
  return meta.Write([&](MetaStore::Transaction& tx) {
    return tx.Run(
        "INSERT INTO api_keys(id, name, scopes, secret_sha256, created_ms) VALUES (?, ?, 1, "
        "'x', 5)",
        {id, std::string_view("key ")});
  });
}

constexpr char kCreateIncident[] =
    "INSERT OR IGNORE INTO incidents(id, number, service, status, impact, created_ms, updated_ms) "
    "VALUES ('OM1', 1, 'outlook', 'investigating', 'major', 7, 7)";

// An update of incident OM1 (created with its first update).
Status AddUpdate(MetaStore& meta, std::string_view body) {
  return meta.Write([&](MetaStore::Transaction& tx) {
    OM_RETURN_IF_ERROR(tx.Run(kCreateIncident));
    return tx.Run(
        "INSERT INTO incident_updates(incident, at_ms, status, body, author) VALUES ('OM1', 7, "
        "'investigating', ?, 'detection')",
        {body});
  });
}

TEST(MetaJournalTest, EntriesRoundTripAndRefuseAnythingButRowChanges) {
  std::string statements;
  AppendJournalStatement(statements, "INSERT INTO t VALUES (?, ?, ?)",
                         {int64_t{-42}, std::string("é\0x", 4), nullptr});
  AppendJournalStatement(statements, "  update t SET a = 1", {});
  Result<std::vector<JournalStatement>> decoded =
      DecodeJournalEntry(EncodeJournalEntry(2, statements));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].sql, "INSERT INTO t VALUES (?, ?, ?)");
  ASSERT_EQ((*decoded)[0].values.size(), 3u);
  EXPECT_EQ(std::get<int64_t>((*decoded)[0].values[0]), -42);
  EXPECT_EQ(std::get<std::string>((*decoded)[0].values[1]), std::string("é\0x", 4));
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>((*decoded)[0].values[2]));
  EXPECT_TRUE((*decoded)[1].values.empty());

  std::string schema;
  AppendJournalStatement(schema, "DROP TABLE api_keys", {});
  Result<std::vector<JournalStatement>> refused = DecodeJournalEntry(EncodeJournalEntry(1, schema));
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_NE(refused.status().message().find("statement 1: not an INSERT"), std::string::npos);
  const std::string whole = EncodeJournalEntry(2, statements);
  for (size_t cut = 0; cut < whole.size(); ++cut) {
    EXPECT_EQ(DecodeJournalEntry(whole.substr(0, cut)).status().code(), StatusCode::kCorruption)
        << "cut at " << cut;
  }
  EXPECT_EQ(DecodeJournalEntry(whole + "x").status().code(), StatusCode::kCorruption);
}

// Two stores on one journal, a and b.
class TwoStoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened_a = MetaStore::Open(dir_.str() + "/a.db");
    auto opened_b = MetaStore::Open(dir_.str() + "/b.db");
    ASSERT_TRUE(opened_a.ok() && opened_b.ok());
    a_ = std::move(*opened_a);
    b_ = std::move(*opened_b);
    a_->SetJournal(&journal);
    b_->SetJournal(&journal);
  }
  testing::TempDir dir_;
  MemoryJournal journal;
  std::unique_ptr<MetaStore> a_, b_;
};

TEST_F(TwoStoresTest, ApplyingEachOthersEntriesTheyHoldTheSameRows) {
  ASSERT_TRUE(AddKey(*a_, "k1").ok());
  ASSERT_TRUE(AddUpdate(*a_, "first").ok());
  EXPECT_EQ(a_->journal_position(), 2u);
  ASSERT_TRUE(journal.Pump(*b_));
  ASSERT_TRUE(AddUpdate(*b_, "second").ok());  // on top of a's entries
  ASSERT_TRUE(journal.Pump(*a_));
  EXPECT_EQ(journal.size(), 3u);
  EXPECT_EQ(a_->journal_position(), 3u);
  EXPECT_EQ(b_->journal_position(), 3u);
  EXPECT_EQ(Rows(*a_), Rows(*b_));
  EXPECT_NE(Rows(*a_).find("2|OM1|second"), std::string::npos) << "rowids agree: " << Rows(*a_);
  // An entry applied again (a redelivery) changes nothing.
  ASSERT_TRUE(journal.Pump(*a_));
  EXPECT_EQ(Rows(*a_), Rows(*b_));
  // A failed write appends nothing.
  EXPECT_FALSE(AddKey(*a_, "k1").ok()) << "duplicate primary key";
  EXPECT_EQ(journal.size(), 3u);
}

TEST_F(TwoStoresTest, OneThatLostTheRaceRunsItsTransactionAgainOnTopOfTheWinner) {
  ASSERT_TRUE(AddUpdate(*a_, "a1").ok());  // b has not seen it

  // b's follower, as a node runs one: applies new entries every few milliseconds (bounded),
  // starting once b's first append was refused, so that the race is lost every time.
  std::atomic<bool> stop{false};
  std::thread follower([&] {
    for (int i = 0; i < 2000 && !stop.load(); ++i) {
      if (journal.conflicts() > 0) journal.Pump(*b_);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  int runs = 0;
  Status written = b_->Write([&](MetaStore::Transaction& tx) {
    ++runs;
    OM_RETURN_IF_ERROR(tx.Run(kCreateIncident));
    return tx.Run(
        "INSERT INTO incident_updates(incident, at_ms, status, body, author) VALUES ('OM1', 8, "
        "'investigating', 'b1', 'operator')");
  });
  stop = true;
  follower.join();
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(runs, 2) << "once refused, once on top of a's entry";
  EXPECT_EQ(journal.conflicts(), 1);
  ASSERT_TRUE(journal.Pump(*a_));
  EXPECT_EQ(Rows(*a_), Rows(*b_));
  EXPECT_NE(Rows(*b_).find("1|OM1|a1\n2|OM1|b1"), std::string::npos) << Rows(*b_);
}

TEST_F(TwoStoresTest, ALeaderFencedOffByALaterTermWritesNothingEvenAfterLosingTheRace) {
  // a leads at term 5; b, a later leader, claims term 7 while a does not know yet (a paused).
  ASSERT_TRUE(a_->ClaimLeaderTerm(5, "a", 1).ok());
  {
    MetaStore::LeaderFence fence(*a_, 5);
    ASSERT_TRUE(AddUpdate(*a_, "a at term 5").ok());
  }
  ASSERT_TRUE(journal.Pump(*b_));
  Status stale_claim = b_->ClaimLeaderTerm(5, "b", 2);
  EXPECT_EQ(stale_claim.code(), StatusCode::kPermissionDenied) << "the same term again";
  ASSERT_TRUE(b_->ClaimLeaderTerm(7, "b", 3).ok());
  Result<MetaStore::LeaderTermRow> term = b_->leader_term();
  ASSERT_TRUE(term.ok());
  EXPECT_EQ(term->term, 7);
  EXPECT_EQ(term->node_id, "b");
  const size_t entries = journal.size();

  // a wakes up and writes under its old fence: the append loses the race, a catches up (its
  // follower applies b's claim), runs the transaction again and finds itself fenced off.
  std::atomic<bool> stop{false};
  std::thread follower([&] {
    for (int i = 0; i < 2000 && !stop.load(); ++i) {
      if (journal.conflicts() > 0) journal.Pump(*a_);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  Status late;
  {
    MetaStore::LeaderFence fence(*a_, 5);
    late = AddUpdate(*a_, "a, late");
  }
  stop = true;
  follower.join();
  EXPECT_EQ(late.code(), StatusCode::kPermissionDenied) << late.ToString();
  EXPECT_NE(late.message().find("fenced"), std::string::npos) << late.ToString();
  EXPECT_EQ(journal.size(), entries) << "nothing appended";
  EXPECT_EQ(Rows(*a_).find("a, late"), std::string::npos) << Rows(*a_);

  // Outside a fence a writes as any node does (an operator's write), and b, under its own
  // fence, goes on.
  ASSERT_TRUE(AddKey(*a_, "k-operator").ok());
  ASSERT_TRUE(journal.Pump(*b_));
  {
    MetaStore::LeaderFence fence(*b_, 7);
    EXPECT_TRUE(AddUpdate(*b_, "b at term 7").ok());
    // A fence covers only the store it names.
    MetaStore::LeaderFence other(*a_, 5);
    ASSERT_TRUE(journal.Pump(*a_));
    EXPECT_TRUE(AddKey(*b_, "k-b").ok());
  }
  ASSERT_TRUE(journal.Pump(*a_));
  EXPECT_EQ(Rows(*a_), Rows(*b_));
}

TEST(MetaJournalTest, ThePositionAppliedSurvivesAReopen) {
  testing::TempDir dir;
  MemoryJournal journal;
  {
    auto a = MetaStore::Open(dir.str() + "/a.db");
    ASSERT_TRUE(a.ok());
    (*a)->SetJournal(&journal);
    ASSERT_TRUE(AddKey(**a, "k1").ok());
    ASSERT_TRUE(AddKey(**a, "k2").ok());
  }
  auto b = MetaStore::Open(dir.str() + "/b.db");
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->ApplyJournalEntry(1, "").ok() == false) << "an empty entry does not decode";
  ASSERT_TRUE(journal.Pump(**b));
  b->reset();
  auto again = MetaStore::Open(dir.str() + "/b.db");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->journal_position(), 2u);
  auto a = MetaStore::Open(dir.str() + "/a.db");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Rows(**again), Rows(**a));
}

}  // namespace
}  // namespace om::db
