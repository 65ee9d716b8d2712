#pragma once
// ParseStringFields reads a small JSON object whose values are all strings, such as an
// operator's incident update {"body":"…","status":"identified"}; StringAtPointer reads one string
// out of a larger document (an official status page's summary.json). simdjson is compiled here
// with the target flags of ingest's report parser (docs/adr/0002-report-parsing-simdjson.md).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace om::json {

// The fields of the JSON object in `body`. kInvalidArgument naming the problem: invalid JSON, not
// an object, a value that is not a string ("<key>: must be a string"), or a key not in `allowed`
// ("<key>: unknown field").
Result<std::map<std::string, std::string>> ParseStringFields(
    std::string_view body, const std::vector<std::string_view>& allowed);

// A small JSON object of strings and arrays of strings, such as a merge request
// {"from":["OM1000002"]} or an update {"body":"…","components":["outlook-2"]}.
struct Fields {
  std::map<std::string, std::string> strings;
  std::map<std::string, std::vector<std::string>> lists;
};
// As ParseStringFields, with the keys in `lists` taking arrays of strings ("<key>: must be an
// array of strings", "<key>: at most <max_items> items").
Result<Fields> ParseFields(std::string_view body, const std::vector<std::string_view>& strings,
                           const std::vector<std::string_view>& lists, size_t max_items = 100);

// The string at JSON Pointer `pointer` (RFC 6901, e.g. "/status/indicator") in the document
// `body`. kInvalidArgument for invalid JSON or a value that is not a string; kNotFound when
// nothing is there.
Result<std::string> StringAtPointer(std::string_view body, std::string_view pointer);

}  // namespace om::json
