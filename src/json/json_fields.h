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

// The string at JSON Pointer `pointer` (RFC 6901, e.g. "/status/indicator") in the document
// `body`. kInvalidArgument for invalid JSON or a value that is not a string; kNotFound when
// nothing is there.
Result<std::string> StringAtPointer(std::string_view body, std::string_view pointer);

}  // namespace om::json
