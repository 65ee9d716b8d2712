// Fuzzes the CSV import (server/csv.h): SplitCsvLine, CsvHeader::Parse and RowToJson, which turn
// an untrusted file's lines into the JSON objects the report parser reads.
//
// Input: the bytes up to the first '\n' are the header row, the rest one data row (capped at
// 64 KiB).
//
// Properties (violations __builtin_trap()):
//   - SplitCsvLine either fails with kInvalidArgument or gives fields that, quoted again (RFC 4180)
//     and joined with commas, split back into the same fields;
//   - RowToJson's output is a valid JSON object (never "invalid JSON" for the parser after it): its
//     "service" is a string or absent.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_property.h"
#include "json/json_fields.h"
#include "server/csv.h"

namespace {

using om::fuzz::Require;

constexpr size_t kMaxInputBytes = 64 << 10;

std::string Quote(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    line += '"';
    for (char c : fields[i]) line += c == '"' ? std::string("\"\"") : std::string(1, c);
    line += '"';
  }
  return line;
}

void CheckSplit(std::string_view line) {
  om::Result<std::vector<std::string>> fields = om::server::SplitCsvLine(line);
  if (!fields.ok()) {
    Require(fields.status().code() == om::StatusCode::kInvalidArgument);
    return;
  }
  Require(!fields->empty());
  om::Result<std::vector<std::string>> again = om::server::SplitCsvLine(Quote(*fields));
  Require(again.ok() && *again == *fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string_view header_line = input.substr(0, newline);
  std::string_view row = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  CheckSplit(header_line);
  CheckSplit(row);

  om::server::CsvHeader header;
  om::Status parsed = header.Parse(header_line);
  if (!parsed.ok()) {
    Require(parsed.code() == om::StatusCode::kInvalidArgument);
    return 0;
  }
  om::Result<std::string> json = header.RowToJson(row);
  if (!json.ok()) {
    Require(json.status().code() == om::StatusCode::kInvalidArgument);
    return 0;
  }
  om::Result<std::string> service = om::json::StringAtPointer(*json, "/service");
  Require(service.ok() || service.status().code() == om::StatusCode::kNotFound);
  return 0;
}
