// Cluster mode against real nats-server processes on 127.0.0.1 (label `cluster`): what the
// report stream acknowledges is stored once, survives the loss of the stream's leader, and reads
// back in order with the same bytes.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/metrics.h"
#include "cluster/jetstream_journal.h"
#include "cluster/jetstream_kv.h"
#include "cluster/lease.h"
#include "cluster/nats_test_cluster.h"
#include "cluster/node_requests.h"
#include "cluster/report_stream.h"
#include "cluster/stream_counts.h"
#include "cluster/stream_intake.h"
#include "db/meta_store.h"
#include "testing/temp_dir.h"

namespace om::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

store::Report MakeReport(uint64_t n) {
  store::Report r;
  r.ts_ms = 1'780'000'000'000 + static_cast<int64_t>(n) * 7;
  r.received_ms = r.ts_ms + 3;
  r.service = "service-" + std::to_string(n % 97);
  r.problem = n % 3 == 0 ? "login" : "other";
  r.reporter_key = 0x9e3779b97f4a7c15ull * (n + 1);
  r.geonameid = 5037649;
  r.region = "US-MN";
  r.country = "US";
  r.city = "Minneapolis";
  return r;
}

// Collects the answers of submitted batches.
class Answers {
 public:
  store::ReportIntake::DoneCallback Expect(std::vector<std::string> ids) {
    std::lock_guard lock(mu_);
    ++outstanding_;
    return [this, ids = std::move(ids)](Status status, store::WriteResult result) {
      std::lock_guard guard(mu_);
      if (status.ok()) {
        acked_.insert(acked_.end(), ids.begin(), ids.end());
        accepted_ += result.accepted;
        duplicates_ += result.duplicates;
      } else {
        ++failed_batches_;
        last_error_ = status.ToString();
      }
      --outstanding_;
      cv_.notify_all();
    };
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    --outstanding_;
  }
  // Waits (bounded) until every expected batch was answered.
  bool WaitAll(milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return outstanding_ == 0; });
  }
  std::vector<std::string> acked() {
    std::lock_guard lock(mu_);
    return acked_;
  }
  size_t accepted() {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  size_t duplicates() {
    std::lock_guard lock(mu_);
    return duplicates_;
  }
  int failed_batches() {
    std::lock_guard lock(mu_);
    return failed_batches_;
  }
  std::string last_error() {
    std::lock_guard lock(mu_);
    return last_error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int outstanding_ = 0;
  std::vector<std::string> acked_;
  size_t accepted_ = 0, duplicates_ = 0;
  int failed_batches_ = 0;
  std::string last_error_;
};

// Submits reports [first, first + count) as one batch; false when TrySubmit refused it.
bool Submit(StreamIntake& intake, Answers& answers, uint64_t first, size_t count) {
  std::vector<store::Report> batch;
  std::vector<std::string> ids;
  for (uint64_t n = first; n < first + count; ++n) {
    batch.push_back(MakeReport(n));
    ids.push_back(ReportStream::MessageId(batch.back()));
  }
  Status s = intake.TrySubmit(std::move(batch), answers.Expect(std::move(ids)));
  if (!s.ok()) answers.Cancel();
  return s.ok();
}

ClusterOptions OptionsFor(const NatsTestCluster& cluster, int replicas) {
  ClusterOptions options;
  options.servers = cluster.urls();
  options.replicas = replicas;
  options.partitions = 8;
  options.publish_timeout = milliseconds(3000);
  options.max_in_flight = 20000;
  options.connect_timeout = milliseconds(20000);
  return options;
}

// One server, one message per report and 100 per message: every report acknowledged once, read
// back with the same bytes, each service's reports in the order they were submitted.
TEST(StreamClusterTest, OneServerStoresEachReportOnceAndReadsItBackInOrder) {
  for (size_t per_message : {size_t{1}, size_t{100}}) {
    SCOPED_TRACE("reports per message: " + std::to_string(per_message));
    // A server of its own: two streams may not share the report subjects.
    testing::TempDir dir;
    Result<NatsTestCluster> cluster = NatsTestCluster::Start(1, dir.str());
    ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
    ClusterOptions options = OptionsFor(*cluster, 1);
    options.reports_per_message = per_message;
    auto stream = ReportStream::Connect(options);
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    ASSERT_TRUE((*stream)->EnsureStream().ok());
    MetricsRegistry metrics;
    auto intake = StreamIntake::Create(**stream, metrics);
    ASSERT_TRUE(intake.ok()) << intake.status().ToString();
    (*intake)->Start();

    constexpr size_t kReports = 5000, kBatch = 250;
    Answers answers;
    for (uint64_t first = 0; first < kReports; first += kBatch) {
      ASSERT_TRUE(Submit(**intake, answers, first, kBatch));
    }
    ASSERT_TRUE(answers.WaitAll(seconds(30)));
    EXPECT_EQ(answers.failed_batches(), 0) << answers.last_error();
    EXPECT_EQ(answers.accepted(), kReports);

    // The same batch again (a client retrying): recognised, not stored twice.
    Answers retry;
    ASSERT_TRUE(Submit(**intake, retry, 0, kBatch));
    ASSERT_TRUE(retry.WaitAll(seconds(30)));
    EXPECT_EQ(retry.failed_batches(), 0) << retry.last_error();
    EXPECT_EQ(retry.duplicates(), kBatch);
    EXPECT_EQ(retry.accepted(), 0u);

    Result<StreamState> state = (*stream)->State();
    ASSERT_TRUE(state.ok());
    // One message per report, or 100 per partition and batch (8 partitions, 250-report batches).
    if (per_message == 1) {
      EXPECT_EQ(state->messages, kReports);
    } else {
      EXPECT_LT(state->messages, kReports / 10);
    }
    std::map<std::string, uint64_t> number_of;  // a report's message id → its n
    for (uint64_t n = 0; n < kReports; ++n) number_of[ReportStream::MessageId(MakeReport(n))] = n;
    std::map<std::string, uint64_t> last_of_service;
    std::set<uint64_t> seen;
    size_t stored = 0;
    uint64_t last_sequence = 0;
    ASSERT_TRUE((*stream)
                    ->ReadFrom(1,
                               [&](StreamReport&& r) {
                                 ++stored;
                                 EXPECT_GE(r.sequence, last_sequence);
                                 last_sequence = r.sequence;
                                 auto it = number_of.find(ReportStream::MessageId(r.report));
                                 ASSERT_NE(it, number_of.end()) << "a report nobody sent";
                                 EXPECT_TRUE(r.report == MakeReport(it->second));
                                 EXPECT_TRUE(seen.insert(it->second).second) << "stored twice";
                                 auto [last, first_time] =
                                     last_of_service.emplace(r.report.service, it->second);
                                 if (!first_time) {
                                   EXPECT_GT(it->second, last->second) << r.report.service;
                                   last->second = it->second;
                                 }
                               })
                    .ok());
    EXPECT_EQ(stored, kReports);
    (*intake)->Stop();
  }
}

TEST(StreamClusterTest, ThreeServersKeepEveryAcknowledgedReportWhenTheLeaderIsKilled) {
  testing::TempDir dir;
  Result<NatsTestCluster> cluster = NatsTestCluster::Start(3, dir.str());
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  const ClusterOptions options = OptionsFor(*cluster, 3);
  auto stream = ReportStream::Connect(options);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  Status ensured = (*stream)->EnsureStream();
  ASSERT_TRUE(ensured.ok()) << ensured.ToString();
  MetricsRegistry metrics;
  auto intake = StreamIntake::Create(**stream, metrics);
  ASSERT_TRUE(intake.ok()) << intake.status().ToString();
  (*intake)->Start();

  // Load: batches of 20 unique reports, every 5 ms, bounded in count and time. The stream's
  // leader is killed with SIGKILL after the first 100 batches; the load goes on until the
  // survivors have acknowledged 2,000 more reports (a new leader was elected), or 60 s.
  constexpr size_t kBatch = 20;
  constexpr int kMaxBatches = 12000;
  constexpr size_t kAckedAfterKill = 2000;
  Answers answers;
  std::string killed;
  size_t acked_at_kill = 0;
  const auto load_deadline = std::chrono::steady_clock::now() + seconds(60);
  uint64_t next = 0;
  std::chrono::steady_clock::time_point killed_at;
  int64_t first_ack_after_kill_ms = -1;
  for (int b = 0; b < kMaxBatches && std::chrono::steady_clock::now() < load_deadline; ++b) {
    if (!killed.empty()) {
      const size_t acked_now = answers.acked().size();
      if (first_ack_after_kill_ms < 0 && acked_now > acked_at_kill) {
        first_ack_after_kill_ms =
            std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed_at)
                .count();
      }
      if (acked_now >= acked_at_kill + kAckedAfterKill) break;
    }
    if (b == 100) {
      ASSERT_TRUE(answers.WaitAll(seconds(30)));
      Result<StreamState> state = (*stream)->State();
      ASSERT_TRUE(state.ok()) << state.status().ToString();
      killed = state->leader;
      ASSERT_GE(NatsTestCluster::IndexOf(killed), 0) << killed;
      acked_at_kill = answers.acked().size();
      cluster->Kill(NatsTestCluster::IndexOf(killed));
      killed_at = std::chrono::steady_clock::now();
    }
    if (Submit(**intake, answers, next, kBatch)) {
      next += kBatch;
    } else {
      std::this_thread::sleep_for(milliseconds(20));  // refused (back-pressure): try again
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_FALSE(killed.empty()) << "the load ended before the leader was killed";
  ASSERT_TRUE(answers.WaitAll(seconds(30)));
  const std::vector<std::string> acked = answers.acked();
  std::printf(
      "submitted %llu reports; acknowledged %zu (%zu before killing leader %s); %d "
      "batches failed (last: %s); first acknowledgement %lld ms after the kill\n",
      static_cast<unsigned long long>(next), acked.size(), acked_at_kill, killed.c_str(),
      answers.failed_batches(), answers.last_error().c_str(),
      static_cast<long long>(first_ack_after_kill_ms));
  // Liveness: the stream elected a new leader and acknowledged reports again.
  EXPECT_GE(acked.size(), acked_at_kill + kAckedAfterKill);

  // Every acknowledged report is in the stream exactly once, read through a fresh connection.
  ClusterOptions reader_options = options;
  reader_options.node_id = "reader";
  auto reader = ReportStream::Connect(reader_options);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Result<StreamState> final_state = (*reader)->State();
  ASSERT_TRUE(final_state.ok()) << final_state.status().ToString();
  std::printf("stream after the load: %llu messages, leader %s\n",
              static_cast<unsigned long long>(final_state->messages), final_state->leader.c_str());
  std::map<std::string, int> stored;
  uint64_t last_sequence = 0;
  bool in_order = true;
  Status read = (*reader)->ReadFrom(1, [&](StreamReport&& r) {
    // A message's reports share its sequence; the next message has a larger one.
    in_order &= r.index == 0 ? r.sequence > last_sequence : r.sequence == last_sequence;
    last_sequence = r.sequence;
    ++stored[ReportStream::MessageId(r.report)];  // the report's own digest
  });
  ASSERT_TRUE(read.ok()) << read.ToString();
  EXPECT_TRUE(in_order);
  size_t missing = 0;
  for (const std::string& id : acked) missing += stored.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0u) << "acknowledged reports missing from the stream";
  int stored_twice = 0;
  for (const auto& [id, times] : stored) stored_twice += times > 1 ? 1 : 0;
  EXPECT_EQ(stored_twice, 0);
  (*intake)->Stop();
}

// Everything a reader of the counts can see: per service (by name), its per-minute totals and
// its top places and problem types over the whole span counted.
std::string CountsFingerprint(const store::CountStore& counts) {
  return counts.Read([](const store::Aggregates& a) {
    std::vector<std::string> names = a.services();
    std::sort(names.begin(), names.end());
    std::string out;
    const int64_t to = a.newest_minute() + 1;
    const int64_t from = to - 3 * 1440;
    for (const std::string& name : names) {
      const uint32_t index = *a.ServiceIndex(name);
      out += name + ":";
      for (uint64_t c : a.Series(index, std::nullopt, "", from, to, 1).counts) {
        out += std::to_string(c) + ",";
      }
      for (store::Dimension d : {store::Dimension::kCity, store::Dimension::kRegion,
                                 store::Dimension::kCountry, store::Dimension::kProblem}) {
        for (const store::KeyCount& k : a.Top(index, d, from, to, 1000)) {
          out += k.key + "=" + std::to_string(k.count) + ";";
        }
      }
      out += "\n";
    }
    return out;
  });
}

// A report of reporter `n % 300` about service `n % 3` at second `n`: each (reporter, service)
// reports every 5 minutes, so with a 30-minute window most reports are duplicates, and a few
// thousand reports span several de-dup sweeps.
store::Report RepeatingReport(uint64_t n) {
  store::Report r = MakeReport(n);
  r.ts_ms = 1'780'000'000'000 + static_cast<int64_t>(n) * 1000;
  r.received_ms = r.ts_ms + 5;
  r.reporter_key = 0x9e3779b97f4a7c15ull * (n % 300 + 1);
  r.service = "service-" + std::to_string(n % 3);
  r.geonameid = n % 2 == 0 ? 5037649 : 4930956;
  return r;
}

// Three nodes, each with its own connection, intake and counts, publish to and follow one R3
// stream; the stream's leader is killed under load and one node's counts restart from their
// snapshot. At the same sequence all three hold the same counts, de-duplicated alike.
TEST(StreamClusterTest, EveryNodeCountsTheSameAtTheSameSequence) {
  testing::TempDir dir;
  Result<NatsTestCluster> cluster = NatsTestCluster::Start(3, dir.str());
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  constexpr int kNodes = 3;
  struct Node {
    std::unique_ptr<ReportStream> stream;
    MetricsRegistry metrics;
    std::unique_ptr<StreamIntake> intake;
    std::unique_ptr<StreamCounts> counts;
    StreamCountsOptions counts_options;
  };
  std::vector<Node> nodes(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    ClusterOptions options = OptionsFor(*cluster, 3);
    options.node_id = "n" + std::to_string(i);
    options.reports_per_message = 7;  // messages of several reports, and many of them
    auto stream = ReportStream::Connect(options);
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    nodes[i].stream = std::move(*stream);
    Status ensured = nodes[i].stream->EnsureStream();
    ASSERT_TRUE(ensured.ok()) << ensured.ToString();
    auto intake = StreamIntake::Create(*nodes[i].stream, nodes[i].metrics);
    ASSERT_TRUE(intake.ok()) << intake.status().ToString();
    nodes[i].intake = std::move(*intake);
    nodes[i].intake->Start();
    nodes[i].counts_options.data_dir = dir.str() + "/node" + std::to_string(i);
    nodes[i].counts_options.snapshot_every_reports = 100;
    auto counts = StreamCounts::Open(nodes[i].counts_options, *nodes[i].stream, nodes[i].metrics);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    nodes[i].counts = std::move(*counts);
    nodes[i].counts->Start();
  }

  // Batches of 10 to the nodes in turn, 2 ms apart, bounded in count and time. After 150 batches
  // the stream's leader is killed; once the survivors have acknowledged 500 more reports, node
  // 2's counts stop (writing their snapshot) and open again from it; the load ends 1,000
  // acknowledged reports later.
  constexpr int kMaxBatches = 20000;
  constexpr size_t kBatch = 10;
  Answers answers;
  uint64_t next = 0;
  std::string killed;
  size_t acked_at_kill = 0;
  bool restarted = false;
  const auto deadline = std::chrono::steady_clock::now() + seconds(90);
  for (int b = 0; b < kMaxBatches && std::chrono::steady_clock::now() < deadline; ++b) {
    if (b == 150) {
      ASSERT_TRUE(answers.WaitAll(seconds(30)));
      Result<StreamState> state = nodes[0].stream->State();
      ASSERT_TRUE(state.ok()) << state.status().ToString();
      killed = state->leader;
      ASSERT_GE(NatsTestCluster::IndexOf(killed), 0) << killed;
      acked_at_kill = answers.acked().size();
      cluster->Kill(NatsTestCluster::IndexOf(killed));
    }
    const size_t acked_now = answers.acked().size();
    if (!killed.empty() && !restarted && acked_now >= acked_at_kill + 500) {
      restarted = true;
      nodes[2].counts->Stop();
      nodes[2].counts.reset();
      auto reopened =
          StreamCounts::Open(nodes[2].counts_options, *nodes[2].stream, nodes[2].metrics);
      ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
      EXPECT_GT((*reopened)->applied_sequence(), 0u) << "restarted without its snapshot";
      nodes[2].counts = std::move(*reopened);
      nodes[2].counts->Start();
    }
    if (restarted && acked_now >= acked_at_kill + 1500) break;
    std::vector<store::Report> batch;
    std::vector<std::string> ids;
    for (uint64_t n = next; n < next + kBatch; ++n) {
      batch.push_back(RepeatingReport(n));
      ids.push_back(ReportStream::MessageId(batch.back()));
    }
    Status s = nodes[b % kNodes].intake->TrySubmit(std::move(batch), answers.Expect(ids));
    if (s.ok()) {
      next += kBatch;
    } else {
      answers.Cancel();
      std::this_thread::sleep_for(milliseconds(20));
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  ASSERT_TRUE(restarted) << "the load ended before the survivors acknowledged 500 reports";
  ASSERT_TRUE(answers.WaitAll(seconds(30)));
  ASSERT_FALSE(killed.empty());

  Result<StreamState> state = Status::Unavailable("not asked");
  for (int attempt = 0; attempt < 40 && !state.ok(); ++attempt) {
    state = nodes[0].stream->State();
    if (!state.ok()) std::this_thread::sleep_for(milliseconds(250));
  }
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  std::vector<std::string> fingerprints;
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(nodes[i].counts->WaitUntilApplied(state->last_sequence, milliseconds(30000)))
        << "node " << i << " counted up to " << nodes[i].counts->applied_sequence() << " of "
        << state->last_sequence;
    fingerprints.push_back(CountsFingerprint(*nodes[i].counts));
  }
  // Every acknowledged report was read, and duplicates were not counted: the counts are the
  // reports of distinct (reporter, service) pairs per window, fewer than those acknowledged.
  uint64_t counted = 0;
  nodes[0].counts->Read([&](const store::Aggregates& a) {
    for (uint32_t s = 0; s < a.services().size(); ++s) {
      counted += a.Total(s, a.newest_minute() - 3 * 1440, a.newest_minute() + 1);
    }
  });
  std::printf(
      "%zu reports acknowledged, %llu counted after de-duplication, stream at %llu; "
      "leader %s killed\n",
      answers.acked().size(), static_cast<unsigned long long>(counted),
      static_cast<unsigned long long>(state->last_sequence), killed.c_str());
  EXPECT_GT(counted, 0u);
  EXPECT_LT(counted, answers.acked().size() / 2);
  EXPECT_EQ(fingerprints[0], fingerprints[1]);
  EXPECT_EQ(fingerprints[0], fingerprints[2]);
  for (Node& node : nodes) {
    node.counts->Stop();
    node.intake->Stop();
  }
}

// Rows of a meta.db that journal writes change, in a stable order.
std::string KeyRows(db::MetaStore& meta) {
  return meta.Read([](db::Database& db) {
    std::string out;
    auto statement = db.Prepare("SELECT id || '|' || name FROM api_keys ORDER BY id");
    while (statement.ok()) {
      auto row = statement->Step();
      if (!row.ok() || !*row) break;
      out += statement->ColumnText(0) + "\n";
    }
    return out;
  });
}

Status AddKey(db::MetaStore& meta, const std::string& id) {
  return meta.Write([&](db::MetaStore::Transaction& tx) {
    return tx.Run(
        "INSERT INTO api_keys(id, name, scopes, secret_sha256, created_ms) VALUES (?, ?, 1, 'x', "
        "5)",
        {std::string_view(id), std::string_view("key " + id)});
  });
}

// Two nodes' meta.db on one replicated journal, while a server dies: writes on either node reach
// both, in the same order; an append on top of a stale position is refused (the fence).
TEST(StreamClusterTest, TwoNodesMetaDbFollowOneJournal) {
  testing::TempDir dir;
  Result<NatsTestCluster> cluster = NatsTestCluster::Start(3, dir.str());
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  struct Node {
    std::unique_ptr<ReportStream> stream;
    std::unique_ptr<JetStreamJournal> journal;
    std::unique_ptr<db::MetaStore> meta;
  };
  std::vector<Node> nodes(2);
  for (size_t i = 0; i < nodes.size(); ++i) {
    ClusterOptions options = OptionsFor(*cluster, 3);
    options.node_id = "n" + std::to_string(i);
    auto stream = ReportStream::Connect(options);
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    nodes[i].stream = std::move(*stream);
    auto journal = JetStreamJournal::Open(*nodes[i].stream);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    nodes[i].journal = std::move(*journal);
    auto meta = db::MetaStore::Open(dir.str() + "/meta" + std::to_string(i) + ".db");
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    nodes[i].meta = std::move(*meta);
    nodes[i].meta->SetJournal(nodes[i].journal.get());
    nodes[i].journal->StartApplying(*nodes[i].meta, nullptr);
  }
  for (int k = 0; k < 10; ++k) {
    Node& writer = nodes[static_cast<size_t>(k % 2)];
    Status written = AddKey(*writer.meta, "k" + std::to_string(k));
    ASSERT_TRUE(written.ok()) << k << ": " << written.ToString();
    if (k == 4) cluster->Kill(1);  // writes go on with two of three servers
  }
  for (Node& node : nodes) {
    ASSERT_TRUE(node.meta->WaitForJournal(10, milliseconds(30000)))
        << "applied up to " << node.meta->journal_position();
  }
  EXPECT_EQ(KeyRows(*nodes[0].meta), KeyRows(*nodes[1].meta));
  EXPECT_NE(KeyRows(*nodes[0].meta).find("k9|key k9"), std::string::npos)
      << KeyRows(*nodes[0].meta);
  // A writer that has not seen the last entry is refused.
  Result<uint64_t> stale = nodes[0].journal->Append(db::EncodeJournalEntry(0, ""), 5);
  EXPECT_EQ(stale.status().code(), StatusCode::kAlreadyExists) << stale.status().ToString();
  for (Node& node : nodes) node.journal->Stop();
}

TEST(StreamClusterTest, LeasesOnTheReplicatedBucketMoveOnlyWhenTheHolderStops) {
  testing::TempDir dir;
  Result<NatsTestCluster> cluster = NatsTestCluster::Start(3, dir.str());
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  auto stream = ReportStream::Connect(OptionsFor(*cluster, 3));
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  // The bucket needs the JetStream meta leader, elected a few seconds after the servers start.
  Result<std::unique_ptr<JetStreamKv>> kv = Status::Unavailable("not tried");
  for (int attempt = 0; attempt < 80 && !kv.ok(); ++attempt) {
    kv = JetStreamKv::Open(**stream, "om_leases");
    if (!kv.ok()) std::this_thread::sleep_for(milliseconds(250));
  }
  ASSERT_TRUE(kv.ok()) << kv.status().ToString();

  // Compare-and-set as leases need it.
  Result<uint64_t> created = (*kv)->Create("probe", "a");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*kv)->Create("probe", "b").status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*kv)->Update("probe", "b", *created + 100).status().code(),
            StatusCode::kAlreadyExists);
  Result<uint64_t> updated = (*kv)->Update("probe", "b", *created);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_GT(*updated, *created);
  EXPECT_EQ((*kv)->Get("probe")->value, "b");
  EXPECT_EQ((*kv)->Get("absent").status().code(), StatusCode::kNotFound);

  // n1 holds partition 5 and renews every 300 ms for 3 s; n2 never gets it.
  const milliseconds ttl(1500);
  Lease n1(**kv, SystemClock::Instance(), "partition.5", "n1", ttl);
  Lease n2(**kv, SystemClock::Instance(), "partition.5", "n2", ttl);
  Result<bool> first = n1.TryAcquireOrRenew();
  ASSERT_TRUE(first.ok() && *first) << first.status().ToString();
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(milliseconds(300));
    Result<bool> renewed = n1.TryAcquireOrRenew();
    ASSERT_TRUE(renewed.ok() && *renewed) << "renewal " << i;
    Result<bool> contended = n2.TryAcquireOrRenew();
    ASSERT_TRUE(contended.ok()) << contended.status().ToString();
    ASSERT_FALSE(*contended) << "taken from a holder that renews, at " << i;
  }
  // n1 stops (as if SIGSTOPped) and one server of the three is killed: n2 takes the lease after
  // a ttl without renewal, on the two servers left.
  const uint64_t old_token = n1.token();
  cluster->Kill(0);
  const auto stopped = std::chrono::steady_clock::now();
  bool taken = false;
  while (!taken && std::chrono::steady_clock::now() - stopped < seconds(20)) {
    Result<bool> tried = n2.TryAcquireOrRenew();
    taken = tried.ok() && *tried;
    if (!taken) std::this_thread::sleep_for(milliseconds(100));
  }
  const auto waited =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - stopped);
  ASSERT_TRUE(taken) << "n2 did not take the lease within 20 s";
  EXPECT_GE(waited, ttl) << "taken before a whole ttl without renewal";
  EXPECT_GT(n2.token(), old_token);
  std::printf("lease taken over %lld ms after its holder stopped (ttl %lld ms)\n",
              static_cast<long long>(waited.count()), static_cast<long long>(ttl.count()));
  // n1 wakes up: not the holder any more.
  EXPECT_FALSE(n1.held());
  Result<bool> woke = n1.TryAcquireOrRenew();
  EXPECT_TRUE(woke.ok() && !*woke);
}

TEST(StreamClusterTest, NodeRequestsReachTheNamedNodeAndFailFastForAnAbsentOne) {
  testing::TempDir dir;
  Result<NatsTestCluster> cluster = NatsTestCluster::Start(1, dir.str());
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  ClusterOptions leader_options = OptionsFor(*cluster, 1);
  leader_options.node_id = "leader node.1";  // a space and a dot: not subject tokens
  ClusterOptions follower_options = OptionsFor(*cluster, 1);
  follower_options.node_id = "follower";
  auto leader_stream = ReportStream::Connect(leader_options);
  auto follower_stream = ReportStream::Connect(follower_options);
  ASSERT_TRUE(leader_stream.ok() && follower_stream.ok());

  // The leader answers later, from another thread, as an asynchronous route would.
  std::vector<std::thread> answering;
  std::mutex answering_mu;
  auto leader =
      NodeRequests::Open(**leader_stream, [&](std::string request, NodeRequests::Reply reply) {
        std::lock_guard lock(answering_mu);
        answering.emplace_back([request = std::move(request), reply = std::move(reply)] {
          reply("answered: " + request);
        });
      });
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  auto follower = NodeRequests::Open(
      **follower_stream, [](std::string, NodeRequests::Reply reply) { reply("not me"); },
      NodeRequestsOptions{.timeout = milliseconds(2000), .max_queued = 4});
  ASSERT_TRUE(follower.ok()) << follower.status().ToString();

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Result<std::string>> answers;
  auto collect = [&](Result<std::string> answer) {
    std::lock_guard lock(mu);
    answers.push_back(std::move(answer));
    cv.notify_all();
  };
  auto wait_for = [&](size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, seconds(10), [&] { return answers.size() >= n; });
  };
  (*follower)->Ask("leader node.1", std::string("write\0one", 9), collect);
  (*follower)->Ask("leader node.1", "write two", collect);
  ASSERT_TRUE(wait_for(2));
  ASSERT_TRUE(answers[0].ok()) << answers[0].status().ToString();
  EXPECT_EQ(*answers[0], "answered: " + std::string("write\0one", 9));
  ASSERT_TRUE(answers[1].ok()) << answers[1].status().ToString();
  EXPECT_EQ(*answers[1], "answered: write two");

  // Nobody listens for "gone": refused by the server at once (no responders), not after the
  // time-out.
  const auto asked = std::chrono::steady_clock::now();
  (*follower)->Ask("gone", "write", collect);
  ASSERT_TRUE(wait_for(3));
  EXPECT_EQ(answers[2].status().code(), StatusCode::kUnavailable);
  EXPECT_NE(answers[2].status().message().find("node gone"), std::string::npos)
      << answers[2].status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, milliseconds(1500));

  // Every answer was sent before it arrived: the threads are done.
  leader->reset();
  follower->reset();
  for (std::thread& t : answering) t.join();
}

}  // namespace
}  // namespace om::cluster
