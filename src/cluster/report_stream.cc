#include "cluster/report_stream.h"

#include <cstdlib>
#include <functional>
#include <thread>

#include "base/hash.h"
#include "base/log.h"
#include "cluster/nats_internal.h"
#include "cluster/partition.h"

namespace om::cluster {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// A replica the stream's leader has not heard from for this long is not counted as reachable.
constexpr int64_t kPeerSilenceNanos = 5 * kNanosPerSecond;

// A message id: the 64-bit digest as 16 hex digits.
std::string IdOf(uint64_t digest) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(digest));
  return hex;
}

}  // namespace

namespace internal {

Status NatsError(std::string_view what, natsStatus status, jsErrCode code) {
  std::string message = std::string(what) + ": " + natsStatus_GetText(status);
  if (code != 0) message += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && last == status) message += ": " + std::string(detail);
  switch (status) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
      return Status::Unavailable(std::move(message));
    case NATS_NOT_FOUND:
      return Status::NotFound(std::move(message));
    default:
      return Status::IoError(std::move(message));
  }
}

Result<NatsPtr<jsStreamInfo>> StreamInfoOf(jsCtx* js, const std::string& stream) {
  jsStreamInfo* raw_info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&raw_info, js, stream.c_str(), nullptr, &code);
  NatsPtr<jsStreamInfo> info(raw_info);
  if (s != NATS_OK) return NatsError("stream " + stream, s, code);
  return info;
}

Status AddStream(jsCtx* js, const std::string& stream, const std::string& subjects, int replicas,
                 std::chrono::seconds max_age, std::chrono::seconds duplicate_window) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = stream.c_str();
  const char* subject_list[] = {subjects.c_str()};
  cfg.Subjects = subject_list;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Retention = js_LimitsPolicy;
  cfg.Replicas = replicas;
  cfg.MaxAge = max_age.count() * kNanosPerSecond;
  cfg.Duplicates = duplicate_window.count() * kNanosPerSecond;
  jsStreamInfo* created = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&created, js, &cfg, nullptr, &code);
  NatsPtr<jsStreamInfo> created_info(created);
  // Another node may have created it a moment before.
  if (s != NATS_OK && code != JSStreamNameExistErr) {
    return NatsError("create stream " + stream, s, code);
  }
  OM_LOG(kInfo) << "created stream " << stream << " (" << replicas << " replicas, " << subjects
                << ")";
  return Status::Ok();
}

Status RetryTransient(std::chrono::steady_clock::time_point deadline,
                      const std::function<Status()>& attempt) {
  for (;;) {
    Status status = attempt();
    if (status.ok()) return status;
    const bool transient =
        status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kIoError;
    if (!transient || std::chrono::steady_clock::now() >= deadline) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace internal

using internal::kReportsHeader;
using internal::NatsError;
using internal::NatsPtr;
using internal::RetryTransient;

StreamMessage EncodeMessage(const store::Report* const* reports, size_t count) {
  StreamMessage message;
  message.reports = static_cast<uint32_t>(count);
  if (count == 1) {
    store::EncodeReport(*reports[0], message.body);
    message.id = ReportStream::MessageId(*reports[0]);
    return message;
  }
  std::string payload, ids;
  for (size_t i = 0; i < count; ++i) {
    payload.clear();
    store::EncodeReport(*reports[i], payload);
    const auto size = static_cast<uint32_t>(payload.size());
    for (int shift = 0; shift < 32; shift += 8) {
      message.body.push_back(static_cast<char>((size >> shift) & 0xff));
    }
    message.body += payload;
    ids += ReportStream::MessageId(*reports[i]);
  }
  message.id = IdOf(Fnv1a64(ids));
  return message;
}

Result<std::vector<store::Report>> DecodeMessage(std::string_view body, uint32_t count) {
  std::vector<store::Report> reports;
  if (count <= 1) {
    OM_ASSIGN_OR_RETURN(store::Report report, store::DecodeReport(body));
    reports.push_back(std::move(report));
    return reports;
  }
  reports.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (body.size() < 4) {
      return Status::Corruption("message ends inside report " + std::to_string(i));
    }
    uint32_t size = 0;
    for (int b = 0; b < 4; ++b) size |= uint32_t{static_cast<unsigned char>(body[b])} << (8 * b);
    body.remove_prefix(4);
    if (body.size() < size) return Status::Corruption("report " + std::to_string(i) + " is cut");
    OM_ASSIGN_OR_RETURN(store::Report report, store::DecodeReport(body.substr(0, size)));
    reports.push_back(std::move(report));
    body.remove_prefix(size);
  }
  if (!body.empty()) return Status::Corruption("bytes after the last report");
  return reports;
}

std::string ReportStream::MessageId(const store::Report& report) {
  store::Report keyed = report;
  keyed.received_ms = 0;
  keyed.duplicate = false;
  std::string payload;
  store::EncodeReport(keyed, payload);
  return IdOf(Fnv1a64(payload));
}

Result<std::unique_ptr<ReportStream>> ReportStream::Connect(const ClusterOptions& options) {
  if (options.servers.empty()) return Status::InvalidArgument("cluster.servers: no NATS server");
  for (const std::string& url : options.servers) {
    if (!url.starts_with("nats://")) {
      return Status::InvalidArgument("cluster.servers: \"" + url + "\" is not a nats:// URL");
    }
  }
  natsOptions* raw_opts = nullptr;
  natsStatus s = natsOptions_Create(&raw_opts);
  if (s != NATS_OK) return NatsError("nats options", s);
  NatsPtr<natsOptions> opts(raw_opts);
  std::vector<const char*> urls;
  urls.reserve(options.servers.size());
  for (const std::string& url : options.servers) urls.push_back(url.c_str());
  s = natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), ("outagemap " + options.node_id).c_str());
  // Reconnect for ever, every 250 ms: a node outlives any one server of the cluster.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts.get(), 250);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts.get(), 2000);
  if (s != NATS_OK) return NatsError("nats options", s);

  std::string names;
  for (const std::string& url : options.servers) names += (names.empty() ? "" : ", ") + url;
  auto connection = std::make_unique<Connection>();
  OM_RETURN_IF_ERROR(
      RetryTransient(std::chrono::steady_clock::now() + options.connect_timeout, [&]() -> Status {
        natsConnection* raw_nc = nullptr;
        natsStatus connected = natsConnection_Connect(&raw_nc, opts.get());
        if (connected != NATS_OK) return NatsError("connect to " + names, connected);
        connection->nc.reset(raw_nc);
        return Status::Ok();
      }));
  jsOptions js_opts;
  jsOptions_Init(&js_opts);
  js_opts.Wait = options.publish_timeout.count();
  jsCtx* raw_js = nullptr;
  s = natsConnection_JetStream(&raw_js, connection->nc.get(), &js_opts);
  if (s != NATS_OK) return NatsError("JetStream context", s);
  connection->js.reset(raw_js);
  return std::unique_ptr<ReportStream>(new ReportStream(options, std::move(connection)));
}

ReportStream::ReportStream(const ClusterOptions& options, std::unique_ptr<Connection> connection)
    : options_(options), connection_(std::move(connection)) {}

ReportStream::~ReportStream() = default;

Status ReportStream::EnsureStream() {
  // A new cluster elects its JetStream meta leader a few seconds after its servers start: ask
  // again until the connect timeout rather than fail a node that started with the cluster.
  return RetryTransient(std::chrono::steady_clock::now() + options_.connect_timeout,
                        [this] { return CreateOrCheckStream(); });
}

Status ReportStream::CreateOrCheckStream() {
  jsCtx* js = connection_->js.get();
  const std::string subjects(kReportSubjects);
  Result<NatsPtr<jsStreamInfo>> info = internal::StreamInfoOf(js, options_.stream);
  if (info.ok()) {
    const jsStreamConfig& cfg = *(*info)->Config;
    bool same_subjects = cfg.SubjectsLen == 1 && subjects == cfg.Subjects[0];
    if (!same_subjects || cfg.Replicas != options_.replicas) {
      return Status::InvalidArgument(
          "stream " + options_.stream + " exists with " + std::to_string(cfg.Replicas) +
          " replicas and subjects " + (cfg.SubjectsLen > 0 ? cfg.Subjects[0] : "(none)") +
          "; this node wants " + std::to_string(options_.replicas) + " and " + subjects);
    }
    return Status::Ok();
  }
  if (info.status().code() != StatusCode::kNotFound) return info.status();
  return internal::AddStream(js, options_.stream, subjects, options_.replicas,
                             std::chrono::duration_cast<std::chrono::seconds>(options_.retention),
                             options_.duplicate_window);
}

Result<StreamState> ReportStream::State() const {
  OM_ASSIGN_OR_RETURN(NatsPtr<jsStreamInfo> info,
                      internal::StreamInfoOf(connection_->js.get(), options_.stream));
  StreamState state;
  state.messages = info->State.Msgs;
  state.first_sequence = info->State.FirstSeq;
  state.last_sequence = info->State.LastSeq;
  state.replicas = static_cast<int>(info->Config->Replicas);
  if (info->Cluster == nullptr) {
    state.current_replicas = state.replicas;  // a server outside a cluster: its own quorum
  } else if (info->Cluster->Leader != nullptr) {
    state.leader = info->Cluster->Leader;
    state.current_replicas = 1;
    for (int i = 0; i < info->Cluster->ReplicasLen; ++i) {
      const jsPeerInfo* peer = info->Cluster->Replicas[i];
      // Heard from lately, caught up or not: a follower that lags under load is still there.
      if (peer != nullptr && !peer->Offline && peer->Active < kPeerSilenceNanos) {
        ++state.current_replicas;
      }
    }
  }  // else: no leader, so no replica in reach
  return state;
}

namespace internal {

Result<NatsPtr<natsSubscription>> SubscribeFrom(const ClusterOptions& options, jsCtx* js,
                                                const std::string& stream,
                                                const std::string& subjects, uint64_t from) {
  jsSubOptions sub_opts;
  jsSubOptions_Init(&sub_opts);
  sub_opts.Stream = stream.c_str();
  sub_opts.Ordered = true;  // an ephemeral consumer that restarts itself on a gap: in order, once
  sub_opts.Config.DeliverPolicy = js_DeliverByStartSequence;
  sub_opts.Config.OptStartSeq = std::max<uint64_t>(from, 1);
  // Creating the consumer asks the stream's leader; just after a leader change that can time
  // out. Ask again until the connect timeout.
  NatsPtr<natsSubscription> sub;
  OM_RETURN_IF_ERROR(
      RetryTransient(std::chrono::steady_clock::now() + options.connect_timeout, [&]() -> Status {
        natsSubscription* raw_sub = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        natsStatus subscribed =
            js_SubscribeSync(&raw_sub, js, subjects.c_str(), nullptr, &sub_opts, &code);
        if (subscribed != NATS_OK) {
          return NatsError("follow stream " + stream, subscribed, code);
        }
        sub.reset(raw_sub);
        return Status::Ok();
      }));
  return sub;
}

Result<uint64_t> LastSequence(jsCtx* js, const std::string& stream) {
  OM_ASSIGN_OR_RETURN(NatsPtr<jsStreamInfo> info, StreamInfoOf(js, stream));
  return info->State.LastSeq;
}

void FollowStream(const ClusterOptions& options, jsCtx* js, const std::string& stream,
                  const std::string& subjects, uint64_t from,
                  const std::function<void(uint64_t sequence, natsMsg* msg)>& fn,
                  const std::function<bool()>& stop,
                  const std::function<void(const Status&)>& on_trouble,
                  std::chrono::milliseconds stall) {
  constexpr int64_t kPollMillis = 200;
  uint64_t next = std::max<uint64_t>(from, 1);
  while (!stop()) {
    Result<NatsPtr<natsSubscription>> sub = SubscribeFrom(options, js, stream, subjects, next);
    if (!sub.ok()) {
      on_trouble(sub.status());
      continue;  // SubscribeFrom waited up to the connect timeout; try again unless stopped
    }
    auto last_message = std::chrono::steady_clock::now();
    while (!stop()) {
      natsMsg* raw_msg = nullptr;
      natsStatus s = natsSubscription_NextMsg(&raw_msg, sub->get(), kPollMillis);
      if (s == NATS_TIMEOUT) {
        if (std::chrono::steady_clock::now() - last_message < stall) continue;
        // Quiet for a while: fine when nothing new was stored, a lost consumer when something was
        // (its server died, and the ordered consumer did not reset itself yet).
        last_message = std::chrono::steady_clock::now();
        Result<uint64_t> last = LastSequence(js, stream);
        if (!last.ok()) {
          on_trouble(last.status());
          continue;
        }
        if (*last < next) continue;
        on_trouble(Status::Unavailable("stream " + stream + " holds sequence " +
                                       std::to_string(*last) + " but nothing arrived after " +
                                       std::to_string(next - 1) + "; following again"));
        break;
      }
      if (s != NATS_OK) {
        on_trouble(NatsError("follow stream " + stream, s));
        break;
      }
      NatsPtr<natsMsg> msg(raw_msg);
      jsMsgMetaData* raw_meta = nullptr;
      s = natsMsg_GetMetaData(&raw_meta, msg.get());
      if (s != NATS_OK) {
        on_trouble(NatsError("stream message metadata", s));
        break;
      }
      const uint64_t sequence = raw_meta->Sequence.Stream;
      jsMsgMetaData_Destroy(raw_meta);
      // An ordered consumer delivers each sequence once and in order; one restarted by libnats
      // after a gap starts after the last one it delivered. Anything older is a repeat.
      if (sequence < next) continue;
      next = sequence + 1;
      last_message = std::chrono::steady_clock::now();
      fn(sequence, msg.get());
    }
  }
}

}  // namespace internal

namespace {

// The stream entry message `msg` of sequence `sequence` holds.
StreamEntry EntryOf(uint64_t sequence, natsMsg* msg) {
  const char* count_text = nullptr;
  uint32_t count = 1;
  if (natsMsgHeader_Get(msg, kReportsHeader, &count_text) == NATS_OK && count_text != nullptr) {
    count = static_cast<uint32_t>(std::strtoul(count_text, nullptr, 10));
  }
  const char* id = nullptr;
  std::string message_id;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) message_id = id;
  return StreamEntry{
      .sequence = sequence,
      .message_id = std::move(message_id),
      .reports = DecodeMessage(
          std::string_view(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg))),
          count),
  };
}

}  // namespace

Status ReportStream::ReadFrom(uint64_t from, const std::function<void(StreamReport&&)>& fn,
                              std::chrono::milliseconds idle) const {
  OM_ASSIGN_OR_RETURN(StreamState state, State());
  if (state.messages == 0 || state.last_sequence < from) return Status::Ok();
  OM_ASSIGN_OR_RETURN(NatsPtr<natsSubscription> sub,
                      internal::SubscribeFrom(options_, connection_->js.get(), options_.stream,
                                              std::string(kReportSubjects), from));
  uint64_t sequence = 0;
  while (sequence < state.last_sequence) {
    natsMsg* raw_msg = nullptr;
    natsStatus s = natsSubscription_NextMsg(&raw_msg, sub.get(), idle.count());
    if (s != NATS_OK) {
      return NatsError(
          "read stream " + options_.stream + " after sequence " + std::to_string(sequence), s);
    }
    NatsPtr<natsMsg> msg(raw_msg);
    jsMsgMetaData* raw_meta = nullptr;
    s = natsMsg_GetMetaData(&raw_meta, msg.get());
    if (s != NATS_OK) return NatsError("stream message metadata", s);
    sequence = raw_meta->Sequence.Stream;
    jsMsgMetaData_Destroy(raw_meta);
    StreamEntry entry = EntryOf(sequence, msg.get());
    if (!entry.reports.ok()) {
      return Status::Corruption("stream " + options_.stream + " sequence " +
                                std::to_string(sequence) + ": " + entry.reports.status().message());
    }
    for (uint32_t i = 0; i < entry.reports->size(); ++i) {
      fn(StreamReport{sequence, i, entry.message_id, std::move((*entry.reports)[i])});
    }
  }
  return Status::Ok();
}

void ReportStream::Follow(uint64_t from, const std::function<void(StreamEntry&&)>& fn,
                          const std::function<bool()>& stop,
                          const std::function<void(const Status&)>& on_trouble,
                          std::chrono::milliseconds stall) const {
  internal::FollowStream(
      options_, connection_->js.get(), options_.stream, std::string(kReportSubjects), from,
      [&fn](uint64_t sequence, natsMsg* msg) { fn(EntryOf(sequence, msg)); }, stop, on_trouble,
      stall);
}

}  // namespace om::cluster
