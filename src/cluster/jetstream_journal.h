#pragma once
// JetStreamJournal: the journal of meta.db writes (db/meta_journal.h) on a replicated JetStream
// stream (`OM_META`, subject `om.meta`, file storage, the report stream's replica count, kept for
// ever: a node that starts empty replays it all). An append is a publish with the header
// Nats-Expected-Last-Sequence, so the stream stores it only on top of the entry the node has
// applied last; otherwise JetStream refuses it ("wrong last sequence", error 10071) and Append
// answers kAlreadyExists. That same rule fences a node that lost its lease without knowing it.
//
// Applying: a thread follows the stream from the MetaStore's position and applies each entry to
// it in order (MetaStore::ApplyJournalEntry), and tells `on_applied` after each one (the server
// refreshes what it keeps in memory).
//
// Thread-safety: Append from any thread; StartApplying/Stop from the owning thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/status.h"
#include "cluster/report_stream.h"
#include "db/meta_journal.h"
#include "db/meta_store.h"

namespace om::cluster {

class JetStreamJournal final : public db::MetaJournal {
 public:
  // Creates the stream `name` when it does not exist (retrying until the connect timeout while
  // the cluster elects its leaders). `stream` must outlive the journal.
  static Result<std::unique_ptr<JetStreamJournal>> Open(ReportStream& stream,
                                                        const std::string& name = "OM_META");
  ~JetStreamJournal() override;
  JetStreamJournal(const JetStreamJournal&) = delete;
  JetStreamJournal& operator=(const JetStreamJournal&) = delete;

  // Retries for up to the connect timeout while the stream has no leader (internal::
  // RetryTransient; its last error after that).
  Result<uint64_t> Append(std::string_view entry, uint64_t after) override;
  // The sequence of the journal's last entry (0: empty), as its stream's leader answers now.
  Result<uint64_t> LastSequence();

  // Starts applying the journal to `meta` from its position, on a thread of its own. An entry
  // that fails to apply is retried every second (it names itself in the log): skipping it
  // would let this node's meta.db differ from the others'. `meta` must outlive the journal.
  void StartApplying(db::MetaStore& meta, std::function<void(uint64_t sequence)> on_applied);
  void Stop();

  // What a node (or `keys --cluster`) does with its meta.db before anything reads it: applies
  // every entry written so far (waiting at most `catch_up`), keeps applying on the thread of
  // StartApplying, and sets this journal as `meta`'s, so that its writes go on top.
  // kInvalidArgument when `meta` has applied more than the journal holds (a data dir of another
  // cluster, or deleted streams: its writes could never be appended); kUnavailable when not caught
  // up in time.
  Status Attach(db::MetaStore& meta, std::function<void(uint64_t sequence)> on_applied,
                std::chrono::seconds catch_up = std::chrono::seconds(60));

 private:
  JetStreamJournal(ReportStream& stream, std::string name);
  Result<uint64_t> AppendOnce(std::string_view entry, uint64_t after);

  ReportStream& stream_;
  const std::string name_;
  std::thread applier_;
  std::atomic<bool> stopping_{false};
};

}  // namespace om::cluster
