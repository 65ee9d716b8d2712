#pragma once
// The journal of meta.db writes, for cluster mode (docs/cluster.md): every write transaction of a
// node's MetaStore is appended to one replicated, ordered journal before it commits locally, and
// every node applies the journal's entries in order to its own meta.db, so all nodes hold the same
// incidents, subscriptions, keys and delivery cursors, and any node can take over.
//
// An entry is one transaction: its statements with their bound values, as MetaStore ran them.
// Appends are conditional on the journal's last sequence (optimistic concurrency): a node appends
// only on top of the entry it has applied last, so that its statements, which read and wrote a
// meta.db at that point, mean the same on every node; a node that lost the race catches up and
// runs its transaction again. The same condition fences a node that lost its lease without
// knowing it.
//
// Format of an entry (little-endian):
//   u32 statement count; per statement: u32 SQL length, SQL bytes, u32 value count, and per value
//   a tag byte (0 NULL, 1 i64 then 8 bytes, 2 text then u32 length and bytes).
// Only INSERT, UPDATE, DELETE and REPLACE statements are applied; anything else is refused
// (kCorruption), so that a journal can change rows but never the schema or the connection.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace om::db {

class MetaJournal {
 public:
  virtual ~MetaJournal() = default;
  // Appends `entry` right after the entry of sequence `after` (0: the journal is empty) and
  // returns its sequence. kAlreadyExists when the journal already holds an entry after `after`
  // (another node appended first); kUnavailable when it cannot be reached.
  virtual Result<uint64_t> Append(std::string_view entry, uint64_t after) = 0;
};

// One statement of an entry.
struct JournalStatement {
  using Value = std::variant<std::nullptr_t, int64_t, std::string>;
  std::string sql;
  std::vector<Value> values;
};

// Appends one statement to an entry under construction (`entry` holds the statements so far,
// without the count, which EncodeJournalEntry puts in front).
void AppendJournalStatement(std::string& statements, std::string_view sql,
                            const std::vector<JournalStatement::Value>& values);
// The entry of `count` statements appended by AppendJournalStatement.
std::string EncodeJournalEntry(uint32_t count, std::string_view statements);
// The statements of an entry. kCorruption naming what is wrong: a truncated entry, an unknown
// value tag, or a statement that is not INSERT, UPDATE, DELETE or REPLACE.
Result<std::vector<JournalStatement>> DecodeJournalEntry(std::string_view entry);

}  // namespace om::db
