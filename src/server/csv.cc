#include "server/csv.h"

#include <simdjson.h>

#include <algorithm>
#include <string_view>

#include "base/json_writer.h"

namespace om::server {
namespace {

constexpr std::string_view kColumns[] = {"service", "ts", "problem",  "lat",  "lon",   "city",
                                         "country", "ip", "reporter", "text", "source"};

// Whether `s` is a number as JSON writes one (RFC 8259 §6): -?(0|[1-9][0-9]*)(.[0-9]+)?
// ([eE][+-]?[0-9]+)?. strtod also takes "nan", "inf", hex and leading spaces, which would make the
// row invalid JSON; those cells stay strings, and the report parser names the field.
bool LooksNumeric(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

}  // namespace

Result<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  for (;;) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) return Status::InvalidArgument("unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') {
        return Status::InvalidArgument("unexpected character after a quoted field");
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return Status::InvalidArgument("quote inside an unquoted field");
        field.push_back(line[i++]);
      }
    }
    fields.push_back(field);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

Status CsvHeader::Parse(std::string_view line) {
  OM_ASSIGN_OR_RETURN(std::vector<std::string> columns, SplitCsvLine(line));
  for (auto& c : columns) {
    while (!c.empty() && c.back() == ' ') c.pop_back();
    while (!c.empty() && c.front() == ' ') c.erase(c.begin());
    if (std::find(std::begin(kColumns), std::end(kColumns), c) == std::end(kColumns)) {
      return Status::InvalidArgument("header: unknown column \"" + c.substr(0, 64) + "\"");
    }
    if (std::count(columns.begin(), columns.end(), c) > 1) {
      return Status::InvalidArgument("header: column \"" + c + "\" appears twice");
    }
  }
  if (std::find(columns.begin(), columns.end(), "service") == columns.end()) {
    return Status::InvalidArgument("header: a \"service\" column is required");
  }
  columns_ = std::move(columns);
  return Status::Ok();
}

Result<std::string> CsvHeader::RowToJson(std::string_view line) const {
  OM_ASSIGN_OR_RETURN(std::vector<std::string> cells, SplitCsvLine(line));
  if (cells.size() != columns_.size()) {
    return Status::InvalidArgument("row has " + std::to_string(cells.size()) +
                                   " fields, header has " + std::to_string(columns_.size()));
  }
  JsonWriter w;
  w.BeginObject();
  for (size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].empty()) continue;
    const std::string& c = columns_[i];
    // JSON is UTF-8: a cell of other bytes would make the line "invalid JSON", not a named field.
    if (!simdjson::validate_utf8(cells[i].data(), cells[i].size())) {
      return Status::InvalidArgument(c + ": not valid UTF-8");
    }
    w.Key(c);
    bool numeric_column = c == "lat" || c == "lon" || c == "ts";
    if (numeric_column && LooksNumeric(cells[i])) {
      w.Raw(cells[i]);
    } else {
      w.String(cells[i]);
    }
  }
  w.EndObject();
  return std::move(w).Take();
}

}  // namespace om::server
