#pragma once
// ParseStringFields: reads a small JSON object whose values are all strings, such as an
// operator's incident update {"body":"…","status":"identified"}. Lives here, beside the report
// parser, because simdjson is compiled with the target flags of this module's translation units
// (docs/adr/0002-report-parsing-simdjson.md) and should be compiled in no other module.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace om::ingest {

// The fields of the JSON object in `body`. kInvalidArgument naming the problem: invalid JSON, not
// an object, a value that is not a string ("<key>: must be a string"), or a key not in `allowed`
// ("<key>: unknown field").
Result<std::map<std::string, std::string>> ParseStringFields(
    std::string_view body, const std::vector<std::string_view>& allowed);

}  // namespace om::ingest
