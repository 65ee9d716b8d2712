#include "cluster/jetstream_kv.h"

#include "cluster/nats_internal.h"

namespace om::cluster {

using internal::NatsError;

struct JetStreamKv::Bucket {
  kvStore* kv = nullptr;
  std::string name;
  ~Bucket() {
    if (kv != nullptr) kvStore_Destroy(kv);
  }
  Bucket() = default;
  Bucket(const Bucket&) = delete;
  Bucket& operator=(const Bucket&) = delete;
};

Result<std::unique_ptr<JetStreamKv>> JetStreamKv::Open(ReportStream& stream,
                                                       const std::string& bucket) {
  auto opened = std::make_unique<Bucket>();
  opened->name = bucket;
  jsCtx* js = stream.connection_->js.get();
  natsStatus s = js_KeyValue(&opened->kv, js, bucket.c_str());
  if (s == NATS_NOT_FOUND) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket.c_str();
    cfg.History = 1;
    cfg.StorageType = js_FileStorage;
    cfg.Replicas = stream.options().replicas;
    s = js_CreateKeyValue(&opened->kv, js, &cfg);
  }
  if (s != NATS_OK) return NatsError("key-value bucket " + bucket, s);
  return std::unique_ptr<JetStreamKv>(new JetStreamKv(std::move(opened)));
}

JetStreamKv::JetStreamKv(std::unique_ptr<Bucket> bucket) : bucket_(std::move(bucket)) {}
JetStreamKv::~JetStreamKv() = default;

Result<KvEntry> JetStreamKv::Get(const std::string& key) {
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, bucket_->kv, key.c_str());
  if (s != NATS_OK) return NatsError(bucket_->name + "/" + key, s);
  KvEntry entry;
  const char* data = static_cast<const char*>(kvEntry_Value(raw));
  entry.value.assign(data != nullptr ? data : "", static_cast<size_t>(kvEntry_ValueLen(raw)));
  entry.revision = kvEntry_Revision(raw);
  kvEntry_Destroy(raw);
  return entry;
}

Result<uint64_t> JetStreamKv::Create(const std::string& key, const std::string& value) {
  uint64_t revision = 0;
  natsStatus s = kvStore_Create(&revision, bucket_->kv, key.c_str(), value.data(),
                                static_cast<int>(value.size()));
  if (s != NATS_OK) return ConflictOr(key, 0, NatsError(bucket_->name + "/" + key, s));
  return revision;
}

Result<uint64_t> JetStreamKv::Update(const std::string& key, const std::string& value,
                                     uint64_t expected_revision) {
  uint64_t revision = 0;
  natsStatus s = kvStore_Update(&revision, bucket_->kv, key.c_str(), value.data(),
                                static_cast<int>(value.size()), expected_revision);
  if (s != NATS_OK) {
    return ConflictOr(key, expected_revision, NatsError(bucket_->name + "/" + key, s));
  }
  return revision;
}

Status JetStreamKv::ConflictOr(const std::string& key, uint64_t expected_revision, Status error) {
  // libnats reports a failed compare-and-set as a generic error; ask the bucket what is there.
  Result<KvEntry> now = Get(key);
  if (now.ok() && now->revision != expected_revision) {
    return Status::AlreadyExists(bucket_->name + "/" + key + " is at revision " +
                                 std::to_string(now->revision) + ", not " +
                                 std::to_string(expected_revision));
  }
  return error;
}

}  // namespace om::cluster
