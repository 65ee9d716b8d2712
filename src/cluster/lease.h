#pragma once
// Leases and fencing for cluster mode: which node judges a partition of the report stream, and
// how a node that lost its lease without knowing it (paused, partitioned) is kept from writing.
//
// A lease is one key of a key-value store with compare-and-set on revisions (JetStream KV in
// production, FakeKv in tests). Its value names the holder. The holder renews it by writing it
// again with the revision it last wrote; a contender never compares clocks across machines: it
// takes the lease only when the key's revision has not moved for `ttl` by its own clock (or the
// key is absent or released), and only by compare-and-set on that revision, so of two contenders
// one wins. The revision at which a node took the lease is its fencing token: every later owner
// has a larger one.
//
// Fencing (the next step, docs/cluster.md): a holder will append each judged minute to its
// partition's results with the sequence it expects to be last (JetStream's expected-last-subject-
// sequence header), so that an owner paused past its lease finds its late write refused.
//
// Thread-safety: a Lease is used by one thread; KvStore implementations are thread-safe.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace om::cluster {

struct KvEntry {
  std::string value;
  uint64_t revision = 0;  // increases with every write to the store, across keys
};

// The part of a key-value store that leases need.
class KvStore {
 public:
  virtual ~KvStore() = default;
  // kNotFound when the key was never written.
  virtual Result<KvEntry> Get(const std::string& key) = 0;
  // Writes a key that does not exist. kAlreadyExists when it does.
  virtual Result<uint64_t> Create(const std::string& key, const std::string& value) = 0;
  // Writes the key only if its revision is still `expected_revision`. kAlreadyExists when it was
  // written since (someone else got there first).
  virtual Result<uint64_t> Update(const std::string& key, const std::string& value,
                                  uint64_t expected_revision) = 0;
};

class Lease {
 public:
  // `key` ("partition.17"), `holder` (this node's id). `kv` and `clock` must outlive the lease.
  Lease(KvStore& kv, const Clock& clock, std::string key, std::string holder,
        std::chrono::milliseconds ttl);

  // Renews the lease when this node holds it, takes it when it is free or stale. Call it every
  // ttl/3 or so. Returns whether this node holds the lease now; an error only when the store
  // failed (the lease is then not held, to be safe).
  Result<bool> TryAcquireOrRenew();
  // Gives the lease up (writes an empty holder), so another node can take it at once.
  Status Release();

  // Whether this node may act as holder now: it renewed within `ttl` by its own clock. A node
  // paused for longer stops here before its next write, and fencing covers the rest.
  bool held() const;
  // The revision at which this node took the lease (0 when not held). Strictly larger than any
  // earlier holder's token.
  uint64_t token() const { return held() ? token_ : 0; }
  // The holder the key named when this node last read or wrote it ("" when released, absent,
  // or unknown after a lost compare-and-set): who leads, as far as this node knows.
  const std::string& holder_seen() const { return holder_seen_; }

 private:
  KvStore& kv_;
  const Clock& clock_;
  const std::string key_;
  const std::string holder_;
  const int64_t ttl_ms_;

  uint64_t token_ = 0;             // revision at which we took it
  uint64_t written_revision_ = 0;  // revision of our last write
  int64_t renewed_ms_ = 0;         // our clock when that write succeeded
  bool holding_ = false;
  std::string holder_seen_;
  // Another holder's revision as we last saw it, and since when (our clock).
  uint64_t observed_revision_ = 0;
  int64_t observed_since_ms_ = 0;
};

// The partitions `node` should lead when `live_nodes` (which includes it) share `partitions`:
// rendezvous hashing (Thaler and Ravishankar, 1996), so every node computes the same assignment
// from the same list, the shares differ by a few partitions, and when a node leaves only its own
// partitions move. Sorted.
std::vector<uint32_t> PartitionsOf(const std::string& node,
                                   const std::vector<std::string>& live_nodes, uint32_t partitions);

}  // namespace om::cluster
