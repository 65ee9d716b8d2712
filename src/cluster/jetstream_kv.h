#pragma once
// JetStreamKv: the KvStore of leases (lease.h) on a JetStream key-value bucket, replicated like
// the report stream, over a ReportStream's connection. Revisions are the bucket's stream
// sequences, which only grow.
//
// Thread-safety: every method may be called from any thread.

#include <memory>
#include <string>

#include "cluster/lease.h"
#include "cluster/report_stream.h"

namespace om::cluster {

class JetStreamKv final : public KvStore {
 public:
  // Opens `bucket`, creating it (one value per key, `replicas` copies, file storage) when it
  // does not exist. `stream` must outlive the store.
  static Result<std::unique_ptr<JetStreamKv>> Open(ReportStream& stream, const std::string& bucket);
  ~JetStreamKv() override;
  JetStreamKv(const JetStreamKv&) = delete;
  JetStreamKv& operator=(const JetStreamKv&) = delete;

  Result<KvEntry> Get(const std::string& key) override;
  Result<uint64_t> Create(const std::string& key, const std::string& value) override;
  Result<uint64_t> Update(const std::string& key, const std::string& value,
                          uint64_t expected_revision) override;

 private:
  struct Bucket;
  explicit JetStreamKv(std::unique_ptr<Bucket> bucket);
  // After a failed write: kAlreadyExists when the key now differs from what the write expected
  // (absent for Create, at `expected_revision` for Update), else the write's own error.
  Status ConflictOr(const std::string& key, uint64_t expected_revision, Status error);

  const std::unique_ptr<Bucket> bucket_;
};

}  // namespace om::cluster
