#pragma once
// ReportStream: this node's connection to the NATS JetStream cluster and the replicated stream
// of reports that cluster mode keeps instead of a local report log (docs/cluster.md).
//
// The stream holds messages of up to `reports_per_message` reports of one batch and one
// partition, on the subject of that partition (partition.h); a report is the report log's record
// payload (store::EncodeReport, docs/formats/report-log.md; the framing is EncodeMessage's). A
// message's Nats-Msg-Id is a digest of its reports' content, so that a publish retried within
// the duplicate window (by us, or by the client with the same batch) is stored once. File storage,
// limits retention for `retention`, `replicas` copies: a report the stream acknowledged is on a
// quorum of servers' disks.
//
// libnats (nats.c) stays inside this module's .cc files.
//
// Thread-safety: every method may be called from any thread (libnats connections are
// thread-safe); Create and the destructor from the owning thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/option_key.h"
#include "base/status.h"
#include "store/report.h"

namespace om::cluster {

struct ClusterOptions {
  // NATS servers to connect to ("nats://127.0.0.1:4222"); the client fails over between them.
  std::vector<std::string> servers;
  // This node's name, unique in the cluster: in logs, the leader lease and the connection's name.
  std::string node_id = "n1";
  // The JetStream stream of reports.
  std::string stream = "OM_REPORTS";
  // Copies of each report: 3 tolerates the loss of one server, 1 is for a single test server.
  int replicas = 3;
  uint32_t partitions = 64;
  // How long reports stay in the stream (the embedded log's retention).
  std::chrono::hours retention{24 * 400};
  // A publish repeated within this window is stored once (JetStream's duplicate window).
  std::chrono::seconds duplicate_window{120};
  // A publish not acknowledged within this time fails, and its batch is answered with 503.
  std::chrono::milliseconds publish_timeout{5000};
  // Reports published and not yet acknowledged, at most; past it TrySubmit answers 429.
  size_t max_in_flight = 65536;
  // Reports of one batch and one partition carried by one stream message, at most (1: a message
  // per report). 100 acknowledged 2.5 times as many reports/s as 1 with three replicas
  // (docs/performance.md, "Cluster intake onto the report stream").
  size_t reports_per_message = 100;
  // How long to try to reach the cluster at start.
  std::chrono::milliseconds connect_timeout{10000};
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kClusterOptionKeys[] = {
    {"cluster.servers", OptionType::kStringList, "", 0, 0,
     "NATS servers of the cluster (`nats://10.0.0.1:4222`); set, the node runs in cluster mode "
     "([docs/cluster.md](docs/cluster.md)); empty: embedded mode (`--cluster` overrides)"},
    {"cluster.node_id", OptionType::kString, "", 0, 0,
     "this node's name, unique in the cluster; empty: the host name (`--node-id` overrides)"},
    {"cluster.stream", OptionType::kString, "", 0, 0,
     "the JetStream stream of reports (retention: `store.log_retention_days`)"},
    {"cluster.replicas", OptionType::kInt, "", 1, 5,
     "copies of each report; 3 survives the loss of one NATS server"},
    {"cluster.partitions", OptionType::kInt, "", 1, 1024,
     "subjects the reports are spread over by service; the same on every node, never changed "
     "once the stream exists"},
    {"cluster.publish_timeout_ms", OptionType::kInt, "ms", 100, 60000,
     "a batch not acknowledged by the stream within this is answered 503"},
    {"cluster.max_in_flight", OptionType::kInt, "", 1, 10000000,
     "reports published and not yet acknowledged; past it the answer is 429"},
    {"cluster.reports_per_message", OptionType::kInt, "", 1, 1000,
     "reports of one batch and partition packed into one stream message"},
};

// What the stream holds now.
struct StreamState {
  uint64_t messages = 0;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  std::string leader;  // the server that leads the stream's replication group
  int replicas = 0;
  // Replicas the leader heard from within the last 5 s, itself included (a quorum is more than
  // half of `replicas`).
  int current_replicas = 0;
};

// One stored report with its place in the stream: the message's sequence, and the report's
// index among the message's reports.
struct StreamReport {
  uint64_t sequence = 0;
  uint32_t index = 0;
  std::string message_id;
  store::Report report;
};

// One stream message: its body and its Nats-Msg-Id. One report: the body is the report's record
// payload. Several (header `Om-Reports: <n>`): each payload preceded by its length (u32, little
// endian). The id digests every report but their receive times.
struct StreamMessage {
  std::string body;
  std::string id;
  uint32_t reports = 0;
};
StreamMessage EncodeMessage(const store::Report* const* reports, size_t count);
// The reports of a message body; `count` from its Om-Reports header (1 when absent).
// kCorruption when the body does not hold `count` valid payloads.
Result<std::vector<store::Report>> DecodeMessage(std::string_view body, uint32_t count);

// One message read from the stream: its sequence, its Nats-Msg-Id and its reports, or
// kCorruption when the body does not decode (every node reads the same bytes and so fails alike).
struct StreamEntry {
  uint64_t sequence = 0;
  std::string message_id;
  Result<std::vector<store::Report>> reports;
};

class ReportStream {
 public:
  // Connects to the cluster (retrying until `connect_timeout`). Errors: kUnavailable naming the
  // servers when none answers; kInvalidArgument for a malformed URL.
  static Result<std::unique_ptr<ReportStream>> Connect(const ClusterOptions& options);
  ~ReportStream();
  ReportStream(const ReportStream&) = delete;
  ReportStream& operator=(const ReportStream&) = delete;

  // Creates the stream when it does not exist, and checks it when it does. Errors:
  // kInvalidArgument when an existing stream differs in subjects or replicas (naming both);
  // kUnavailable while the cluster has no quorum for it.
  Status EnsureStream();
  // One question to the stream's leader: kUnavailable while it has none (a few seconds after
  // the leader's server died).
  Result<StreamState> State() const;

  // Calls `fn` with each stored report of sequence >= `from`, in stream order, until the last
  // sequence at the time of the call. For followers and tests. Waits up to `connect_timeout` for
  // a stream without a leader to elect one. kCorruption names the sequence of a message that
  // does not decode; kUnavailable when the stream stops answering for `idle`.
  Status ReadFrom(uint64_t from, const std::function<void(StreamReport&&)>& fn,
                  std::chrono::milliseconds idle = std::chrono::milliseconds(5000)) const;

  // Follows the stream from sequence `from`: calls `fn` with every message, in stream order, as
  // it arrives, until `stop()` returns true (asked at least every 200 ms); then returns. It
  // outlives server failures: when the subscription fails, or nothing arrives for `stall` while
  // the stream holds later messages, it follows again from the message after the last one it
  // passed on, so `fn` sees each sequence once and in order. `on_trouble` hears each such
  // failure (for logs and metrics); it and `fn` run on the calling thread.
  void Follow(uint64_t from, const std::function<void(StreamEntry&&)>& fn,
              const std::function<bool()>& stop,
              const std::function<void(const Status&)>& on_trouble,
              std::chrono::milliseconds stall = std::chrono::milliseconds(3000)) const;

  // The message id of a report: 16 hex digits of a digest of every field but `received_ms` and
  // `duplicate`, which a retry changes.
  static std::string MessageId(const store::Report& report);

  const ClusterOptions& options() const { return options_; }

 private:
  friend class StreamIntake;
  friend class JetStreamKv;
  friend class JetStreamJournal;
  friend class NodeRequests;
  struct Connection;
  ReportStream(const ClusterOptions& options, std::unique_ptr<Connection> connection);
  // One attempt of EnsureStream.
  Status CreateOrCheckStream();

  const ClusterOptions options_;
  const std::unique_ptr<Connection> connection_;
};

}  // namespace om::cluster
