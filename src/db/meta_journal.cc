#include "db/meta_journal.h"

#include <cctype>
#include <cstring>

namespace om::db {
namespace {

enum Tag : uint8_t { kNull = 0, kInt = 1, kText = 2 };

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutI64(std::string& out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int shift = 0; shift < 64; shift += 8) out.push_back(static_cast<char>((u >> shift) & 0xff));
}
void PutText(std::string& out, std::string_view text) {
  PutU32(out, static_cast<uint32_t>(text.size()));
  out += text;
}

// Reads from the front of `in`, or fails (false) when it is too short.
bool GetU32(std::string_view& in, uint32_t& v) {
  if (in.size() < 4) return false;
  v = 0;
  for (int b = 0; b < 4; ++b) v |= uint32_t{static_cast<unsigned char>(in[b])} << (8 * b);
  in.remove_prefix(4);
  return true;
}
bool GetI64(std::string_view& in, int64_t& v) {
  if (in.size() < 8) return false;
  uint64_t u = 0;
  for (int b = 0; b < 8; ++b) u |= uint64_t{static_cast<unsigned char>(in[b])} << (8 * b);
  in.remove_prefix(8);
  v = static_cast<int64_t>(u);
  return true;
}
bool GetText(std::string_view& in, std::string& text) {
  uint32_t size = 0;
  if (!GetU32(in, size) || in.size() < size) return false;
  text.assign(in.substr(0, size));
  in.remove_prefix(size);
  return true;
}

// Whether `sql` changes rows only: its first word is INSERT, UPDATE, DELETE or REPLACE.
bool ChangesRowsOnly(std::string_view sql) {
  size_t start = 0;
  while (start < sql.size() && std::isspace(static_cast<unsigned char>(sql[start]))) ++start;
  size_t end = start;
  while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
  std::string word(sql.substr(start, end - start));
  for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word == "INSERT" || word == "UPDATE" || word == "DELETE" || word == "REPLACE";
}

}  // namespace

void AppendJournalStatement(std::string& statements, std::string_view sql,
                            const std::vector<JournalStatement::Value>& values) {
  PutText(statements, sql);
  PutU32(statements, static_cast<uint32_t>(values.size()));
  for (const JournalStatement::Value& value : values) {
    if (const auto* n = std::get_if<int64_t>(&value)) {
      statements.push_back(static_cast<char>(kInt));
      PutI64(statements, *n);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      statements.push_back(static_cast<char>(kText));
      PutText(statements, *text);
    } else {
      statements.push_back(static_cast<char>(kNull));
    }
  }
}

std::string EncodeJournalEntry(uint32_t count, std::string_view statements) {
  std::string entry;
  PutU32(entry, count);
  entry += statements;
  return entry;
}

Result<std::vector<JournalStatement>> DecodeJournalEntry(std::string_view entry) {
  uint32_t count = 0;
  if (!GetU32(entry, count)) return Status::Corruption("journal entry: no statement count");
  std::vector<JournalStatement> statements;
  for (uint32_t i = 0; i < count; ++i) {
    const std::string where = "journal entry, statement " + std::to_string(i + 1);
    JournalStatement statement;
    uint32_t values = 0;
    if (!GetText(entry, statement.sql) || !GetU32(entry, values)) {
      return Status::Corruption(where + ": truncated");
    }
    if (!ChangesRowsOnly(statement.sql)) {
      return Status::Corruption(where + ": not an INSERT, UPDATE, DELETE or REPLACE");
    }
    for (uint32_t v = 0; v < values; ++v) {
      if (entry.empty()) return Status::Corruption(where + ": truncated value");
      const auto tag = static_cast<uint8_t>(entry[0]);
      entry.remove_prefix(1);
      if (tag == kNull) {
        statement.values.emplace_back(nullptr);
      } else if (tag == kInt) {
        int64_t n = 0;
        if (!GetI64(entry, n)) return Status::Corruption(where + ": truncated value");
        statement.values.emplace_back(n);
      } else if (tag == kText) {
        std::string text;
        if (!GetText(entry, text)) return Status::Corruption(where + ": truncated value");
        statement.values.emplace_back(std::move(text));
      } else {
        return Status::Corruption(where + ": unknown value tag " + std::to_string(tag));
      }
    }
    statements.push_back(std::move(statement));
  }
  if (!entry.empty()) return Status::Corruption("journal entry: bytes after the last statement");
  return statements;
}

}  // namespace om::db
