#include "cluster/lease.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "testing/fake_clock.h"

namespace om::cluster {
namespace {

using std::chrono::milliseconds;

// An in-memory KvStore with JetStream KV's rules: one revision counter for the whole store,
// Create only when absent, Update only at the expected revision. `fail` makes every call fail.
class FakeKv final : public KvStore {
 public:
  Result<KvEntry> Get(const std::string& key) override {
    std::lock_guard lock(mu_);
    if (fail) return Status::Unavailable("kv down");
    auto it = entries_.find(key);
    if (it == entries_.end()) return Status::NotFound(key);
    return it->second;
  }
  Result<uint64_t> Create(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    if (fail) return Status::Unavailable("kv down");
    if (entries_.count(key) != 0) return Status::AlreadyExists(key);
    entries_[key] = {value, ++revision_};
    return revision_;
  }
  Result<uint64_t> Update(const std::string& key, const std::string& value,
                          uint64_t expected_revision) override {
    std::lock_guard lock(mu_);
    if (fail) return Status::Unavailable("kv down");
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.revision != expected_revision) {
      return Status::AlreadyExists(key + " changed");
    }
    it->second = {value, ++revision_};
    return revision_;
  }
  std::string holder(const std::string& key) {
    std::lock_guard lock(mu_);
    return entries_[key].value;
  }
  bool fail = false;

 private:
  std::mutex mu_;
  std::map<std::string, KvEntry> entries_;
  uint64_t revision_ = 0;
};

constexpr milliseconds kTtl(9000);

TEST(LeaseTest, TheFirstNodeTakesAFreeLeaseAndTheSecondDoesNot) {
  FakeKv kv;
  testing::FakeClock clock;
  Lease a(kv, clock, "partition.3", "n1", kTtl), b(kv, clock, "partition.3", "n2", kTtl);
  EXPECT_TRUE(*a.TryAcquireOrRenew());
  EXPECT_FALSE(*b.TryAcquireOrRenew());
  EXPECT_TRUE(a.held());
  EXPECT_FALSE(b.held());
  EXPECT_GT(a.token(), 0u);
  EXPECT_EQ(b.token(), 0u);
  EXPECT_EQ(kv.holder("partition.3"), "n1");
}

TEST(LeaseTest, AHolderThatRenewsKeepsItForAsLongAsItRenews) {
  FakeKv kv;
  testing::FakeClock clock;
  Lease a(kv, clock, "p", "n1", kTtl), b(kv, clock, "p", "n2", kTtl);
  ASSERT_TRUE(*a.TryAcquireOrRenew());
  const uint64_t token = a.token();
  for (int step = 0; step < 100; ++step) {  // 100 renewals, 5 minutes of clock
    clock.Advance(milliseconds(3000));
    ASSERT_TRUE(*a.TryAcquireOrRenew()) << "step " << step;
    ASSERT_FALSE(*b.TryAcquireOrRenew()) << "step " << step;
  }
  EXPECT_EQ(a.token(), token);  // a renewal keeps the fencing token
  EXPECT_EQ(kv.holder("p"), "n1");
}

TEST(LeaseTest, AStalledHolderLosesItAfterTtlAndCannotTakeItBack) {
  FakeKv kv;
  testing::FakeClock clock;
  Lease a(kv, clock, "p", "n1", kTtl), b(kv, clock, "p", "n2", kTtl);
  ASSERT_TRUE(*a.TryAcquireOrRenew());
  const uint64_t old_token = a.token();
  // n1 stops renewing (SIGSTOP). n2 watches the revision stand still.
  EXPECT_FALSE(*b.TryAcquireOrRenew());
  clock.Advance(milliseconds(8999));
  EXPECT_FALSE(*b.TryAcquireOrRenew()) << "taken before a whole ttl without renewal";
  EXPECT_TRUE(a.held()) << "the holder's own view must not end before a contender can take it";
  clock.Advance(milliseconds(1));
  EXPECT_FALSE(a.held()) << "a holder that did not renew for a ttl must stop acting";
  EXPECT_TRUE(*b.TryAcquireOrRenew());
  EXPECT_GT(b.token(), old_token) << "a new holder's fencing token is larger";
  // n1 wakes up (SIGCONT): its renewal is refused, and it does not take the lease back.
  EXPECT_FALSE(*a.TryAcquireOrRenew());
  EXPECT_FALSE(a.held());
  EXPECT_EQ(kv.holder("p"), "n2");
}

TEST(LeaseTest, OfTwoContendersForAStaleLeaseOnlyOneWins) {
  FakeKv kv;
  testing::FakeClock clock;
  Lease a(kv, clock, "p", "n1", kTtl), b(kv, clock, "p", "n2", kTtl), c(kv, clock, "p", "n3", kTtl);
  ASSERT_TRUE(*a.TryAcquireOrRenew());
  EXPECT_FALSE(*b.TryAcquireOrRenew());
  EXPECT_FALSE(*c.TryAcquireOrRenew());
  clock.Advance(kTtl);
  const bool b_won = *b.TryAcquireOrRenew();
  const bool c_won = *c.TryAcquireOrRenew();
  EXPECT_NE(b_won, c_won);
  EXPECT_EQ(kv.holder("p"), b_won ? "n2" : "n3");
}

TEST(LeaseTest, AReleasedLeaseIsTakenAtOnce) {
  FakeKv kv;
  testing::FakeClock clock;
  Lease a(kv, clock, "p", "n1", kTtl), b(kv, clock, "p", "n2", kTtl);
  ASSERT_TRUE(*a.TryAcquireOrRenew());
  EXPECT_FALSE(*b.TryAcquireOrRenew());
  ASSERT_TRUE(a.Release().ok());
  EXPECT_FALSE(a.held());
  EXPECT_TRUE(*b.TryAcquireOrRenew());
}

TEST(LeaseTest, ARestartedNodeTakesBackItsOwnLeaseWithANewToken) {
  FakeKv kv;
  testing::FakeClock clock;
  Lease before(kv, clock, "p", "n1", kTtl);
  ASSERT_TRUE(*before.TryAcquireOrRenew());
  Lease after(kv, clock, "p", "n1", kTtl);  // the same node id after kill -9
  EXPECT_TRUE(*after.TryAcquireOrRenew());
  EXPECT_GT(after.token(), before.token());
  // The instance from before the restart is fenced off by the store.
  EXPECT_FALSE(*before.TryAcquireOrRenew());
}

TEST(LeaseTest, AStoreFailureMeansNotHeld) {
  FakeKv kv;
  testing::FakeClock clock;
  Lease a(kv, clock, "p", "n1", kTtl);
  ASSERT_TRUE(*a.TryAcquireOrRenew());
  kv.fail = true;
  Result<bool> renewed = a.TryAcquireOrRenew();
  EXPECT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(a.held());
}

TEST(PartitionsOfTest, EveryPartitionHasExactlyOneLeaderAndSharesAreEven) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  std::map<uint32_t, int> leaders;
  for (const std::string& node : nodes) {
    std::vector<uint32_t> mine = PartitionsOf(node, nodes, 64);
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    // 64 / 3 ≈ 21; rendezvous hashing of 64 keys stays within a few of it.
    EXPECT_GE(mine.size(), 13u) << node;
    EXPECT_LE(mine.size(), 30u) << node;
    for (uint32_t p : mine) ++leaders[p];
  }
  ASSERT_EQ(leaders.size(), 64u);
  for (const auto& [partition, count] : leaders) EXPECT_EQ(count, 1) << partition;
}

TEST(PartitionsOfTest, TheOrderOfTheNodeListDoesNotMatter) {
  EXPECT_EQ(PartitionsOf("n2", {"n1", "n2", "n3"}, 64), PartitionsOf("n2", {"n3", "n2", "n1"}, 64));
}

TEST(PartitionsOfTest, WhenANodeLeavesOnlyItsPartitionsMove) {
  const std::vector<std::string> three = {"n1", "n2", "n3"}, two = {"n1", "n3"};
  for (const std::string& node : two) {
    std::vector<uint32_t> before = PartitionsOf(node, three, 64);
    std::vector<uint32_t> after = PartitionsOf(node, two, 64);
    EXPECT_TRUE(std::includes(after.begin(), after.end(), before.begin(), before.end())) << node;
  }
  std::set<uint32_t> covered;
  for (const std::string& node : two) {
    for (uint32_t p : PartitionsOf(node, two, 64)) covered.insert(p);
  }
  EXPECT_EQ(covered.size(), 64u);
}

TEST(PartitionsOfTest, ANodeNotInTheListLeadsNothing) {
  EXPECT_TRUE(PartitionsOf("n9", {"n1", "n2"}, 64).empty());
  EXPECT_EQ(PartitionsOf("n1", {"n1"}, 8).size(), 8u);
}

}  // namespace
}  // namespace om::cluster
