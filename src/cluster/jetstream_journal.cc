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
constexpr int64_t kNanosPerSecond = 1'000'000'000;

}  // namespace

JetStreamJournal::JetStreamJournal(ReportStream& stream, std::string name)
    : stream_(stream), name_(std::move(name)) {}

JetStreamJournal::~JetStreamJournal() { Stop(); }

Result<std::unique_ptr<JetStreamJournal>> JetStreamJournal::Open(ReportStream& stream,
                                                                 const std::string& name) {
  jsCtx* js = stream.connection_->js.get();
  const auto deadline = std::chrono::steady_clock::now() + stream.options().connect_timeout;
  for (;;) {
    jsStreamInfo* raw_info = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_GetStreamInfo(&raw_info, js, name.c_str(), nullptr, &code);
    NatsPtr<jsStreamInfo> info(raw_info);
    if (s == NATS_NOT_FOUND) {
      jsStreamConfig cfg;
      jsStreamConfig_Init(&cfg);
      cfg.Name = name.c_str();
      const char* subjects[] = {kJournalSubject};
      cfg.Subjects = subjects;
      cfg.SubjectsLen = 1;
      cfg.Storage = js_FileStorage;
      cfg.Retention = js_LimitsPolicy;
      cfg.Replicas = stream.options().replicas;
      cfg.Duplicates = 120 * kNanosPerSecond;
      jsStreamInfo* created = nullptr;
      s = js_AddStream(&created, js, &cfg, nullptr, &code);
      NatsPtr<jsStreamInfo> created_info(created);
      // Another node may have created it first.
      if (s != NATS_OK && code == JSStreamNameExistErr) s = NATS_OK;
    }
    if (s == NATS_OK) break;
    Status error = NatsError("journal stream " + name, s, code);
    const bool transient =
        error.code() == StatusCode::kUnavailable || error.code() == StatusCode::kIoError;
    if (!transient || std::chrono::steady_clock::now() >= deadline) return error;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return std::unique_ptr<JetStreamJournal>(new JetStreamJournal(stream, name));
}

Result<uint64_t> JetStreamJournal::Append(std::string_view entry, uint64_t after) {
  // While the stream elects a leader (seconds after a server died) publishes find no responder
  // or time out: try again until the connect timeout. A retry of a publish that was stored after
  // all carries the same message id, so the stream answers it as a duplicate with the sequence
  // it was stored at, instead of storing it twice or refusing it.
  const auto deadline = std::chrono::steady_clock::now() + stream_.options().connect_timeout;
  for (;;) {
    Result<uint64_t> appended = AppendOnce(entry, after);
    if (appended.ok() || appended.status().code() != StatusCode::kUnavailable ||
        std::chrono::steady_clock::now() >= deadline) {
      return appended;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
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

Result<uint64_t> JetStreamJournal::LastSequence() const {
  return internal::LastSequence(stream_.connection_->js.get(), name_);
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

void JetStreamJournal::Stop() {
  if (!applier_.joinable()) return;
  stopping_ = true;
  applier_.join();
}

}  // namespace om::cluster
