#include "cluster/jetstream_journal.h"

#include <thread>

#include "base/hash.h"
#include "base/log.h"
#include "cluster/nats_internal.h"

namespace om::cluster {
namespace {

using internal::NatsError;
using internal::NatsPtr;

constexpr char kJournalSubject[] = "om.meta";

}  // namespace

JetStreamJournal::JetStreamJournal(ReportStream& stream, std::string name)
    : stream_(stream), name_(std::move(name)) {}

JetStreamJournal::~JetStreamJournal() { Stop(); }

Result<std::unique_ptr<JetStreamJournal>> JetStreamJournal::Open(ReportStream& stream,
                                                                 const std::string& name) {
  jsCtx* js = stream.connection_->js.get();
  // A new cluster elects its JetStream meta leader a few seconds after its servers start.
  OM_RETURN_IF_ERROR(internal::RetryTransient(
      std::chrono::steady_clock::now() + stream.options().connect_timeout, [&]() -> Status {
        Result<NatsPtr<jsStreamInfo>> info = internal::StreamInfoOf(js, name);
        if (info.ok() || info.status().code() != StatusCode::kNotFound) return info.status();
        // Kept for ever: a node that starts empty replays the whole journal.
        return internal::AddStream(js, name, kJournalSubject, stream.options().replicas,
                                   std::chrono::seconds(0), std::chrono::seconds(120));
      }));
  return std::unique_ptr<JetStreamJournal>(new JetStreamJournal(stream, name));
}

Result<uint64_t> JetStreamJournal::Append(std::string_view entry, uint64_t after) {
  // While the stream elects a leader (seconds after a server died) publishes find no responder
  // or time out: try again until the connect timeout. A retry of a publish that was stored after
  // all carries the same message id, so the stream answers it as a duplicate with the sequence
  // it was stored at, instead of storing it twice or refusing it.
  uint64_t sequence = 0;
  OM_RETURN_IF_ERROR(internal::RetryTransient(
      std::chrono::steady_clock::now() + stream_.options().connect_timeout, [&]() -> Status {
        Result<uint64_t> appended = AppendOnce(entry, after);
        if (!appended.ok()) return appended.status();
        sequence = *appended;
        return Status::Ok();
      }));
  return sequence;
}

Result<uint64_t> JetStreamJournal::LastSequence() {
  return internal::LastSequence(stream_.connection_->js.get(), name_);
}

Result<uint64_t> JetStreamJournal::AppendOnce(std::string_view entry, uint64_t after) {
  natsMsg* raw_msg = nullptr;
  natsStatus s = natsMsg_Create(&raw_msg, kJournalSubject, nullptr, entry.data(),
                                static_cast<int>(entry.size()));
  if (s != NATS_OK) return NatsError("journal message", s);
  NatsPtr<natsMsg> msg(raw_msg);
  // Set by hand: libnats sends its ExpectLastSeq option only when it is not 0, and "the journal
  // is empty" must be a condition too.
  s = natsMsgHeader_Set(msg.get(), "Nats-Expected-Last-Sequence", std::to_string(after).c_str());
  if (s != NATS_OK) return NatsError("journal message header", s);
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.ExpectStream = name_.c_str();
  // The entry's place and content: the same for a retry of this append, different for any other.
  const std::string id = std::to_string(after) + "-" + std::to_string(Fnv1a64(entry));
  options.MsgId = id.c_str();
  jsPubAck* raw_ack = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  s = js_PublishMsg(&raw_ack, stream_.connection_->js.get(), msg.get(), &options, &code);
  if (s != NATS_OK) {
    if (code == JSStreamWrongLastSequenceErr) {
      return Status::AlreadyExists("journal " + name_ + " holds entries after " +
                                   std::to_string(after));
    }
    return NatsError("append to journal " + name_, s, code);
  }
  const uint64_t sequence = raw_ack->Sequence;
  jsPubAck_Destroy(raw_ack);
  return sequence;
}

void JetStreamJournal::StartApplying(db::MetaStore& meta,
                                     std::function<void(uint64_t sequence)> on_applied) {
  if (applier_.joinable()) return;
  stopping_ = false;
  applier_ = std::thread([this, &meta, on_applied = std::move(on_applied)] {
    internal::FollowStream(
        stream_.options(), stream_.connection_->js.get(), name_, kJournalSubject,
        meta.journal_position() + 1,
        [&](uint64_t sequence, natsMsg* msg) {
          const std::string_view entry(natsMsg_GetData(msg),
                                       static_cast<size_t>(natsMsg_GetDataLength(msg)));
          for (int attempt = 0; !stopping_.load(); ++attempt) {
            Status applied = meta.ApplyJournalEntry(sequence, entry);
            if (applied.ok()) break;
            if (attempt % 60 == 0) OM_LOG(kError) << applied.ToString() << "; retrying";
            std::this_thread::sleep_for(std::chrono::seconds(1));
          }
          if (on_applied) on_applied(sequence);
        },
        [this] { return stopping_.load(); },
        [this](const Status& trouble) {
          OM_LOG(kWarning) << "following journal " << name_ << ": " << trouble.ToString();
        },
        std::chrono::milliseconds(3000));
  });
}

Status JetStreamJournal::Attach(db::MetaStore& meta,
                                std::function<void(uint64_t sequence)> on_applied,
                                std::chrono::seconds catch_up) {
  OM_ASSIGN_OR_RETURN(uint64_t last, LastSequence());
  if (meta.journal_position() > last) {
    return Status::InvalidArgument(
        meta.path() + " has applied journal entry " + std::to_string(meta.journal_position()) +
        " but the cluster's journal ends at " + std::to_string(last) +
        ": this data dir belongs to another cluster, or the cluster's streams were deleted; "
        "start the node on an empty data dir");
  }
  StartApplying(meta, std::move(on_applied));
  if (!meta.WaitForJournal(last, catch_up)) {
    return Status::Unavailable("applied " + std::to_string(meta.journal_position()) + " of " +
                               std::to_string(last) + " entries within " +
                               std::to_string(catch_up.count()) + " s");
  }
  meta.SetJournal(this);
  return Status::Ok();
}

void JetStreamJournal::Stop() {
  if (!applier_.joinable()) return;
  stopping_ = true;
  applier_.join();
}

}  // namespace om::cluster
