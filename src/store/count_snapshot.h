#pragma once
// The snapshot file of counting state: the de-duplication table and the aggregates, with the
// position of the source they cover (two words: the report log's segment and offset for the
// embedded Store, the stream sequence for a cluster node). The format is
// docs/formats/snapshot.md; both kinds share it and differ in their magic.
//
// A snapshot is a cache of its source: a missing or damaged one only means replaying more.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/aggregates.h"
#include "store/deduplicator.h"

namespace om::store {

// Eight bytes that name a snapshot's kind and version.
inline constexpr std::string_view kLogSnapshotMagic = "OMSNAP01";     // the embedded Store's
inline constexpr std::string_view kStreamSnapshotMagic = "OMSNAPS1";  // a cluster node's

// Where a snapshot's source resumes: every record before it is included in the counts.
struct SnapshotPosition {
  uint64_t first = 0;   // log segment; or stream sequence
  uint64_t second = 0;  // log offset; or 0
};

// The whole file: magic, masked CRC-32C of the body, body length, body.
std::string EncodeCountSnapshot(std::string_view magic, SnapshotPosition position,
                                const Deduplicator& dedupe, const Aggregates& aggregates);

// Loads `file` into the three outputs. kCorruption names the first check that failed, in the
// order of docs/formats/snapshot.md ("snapshot: bad magic", ...); the outputs are then partly
// written and the caller clears them.
Status DecodeCountSnapshot(std::string_view file, std::string_view magic,
                           SnapshotPosition& position, Deduplicator& dedupe,
                           Aggregates& aggregates);

}  // namespace om::store
