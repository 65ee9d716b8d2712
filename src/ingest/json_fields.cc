#include "ingest/json_fields.h"

#include <simdjson.h>

#include <algorithm>

namespace om::ingest {

Result<std::map<std::string, std::string>> ParseStringFields(
    std::string_view body, const std::vector<std::string_view>& allowed) {
  simdjson::padded_string padded(body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto error = parser.iterate(padded).get(doc)) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object)) return Status::InvalidArgument("body must be a JSON object");
  std::map<std::string, std::string> fields;
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) {
      return Status::InvalidArgument(std::string("invalid JSON: ") +
                                     simdjson::error_message(error));
    }
    std::string name(key.substr(0, 64));
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Status::InvalidArgument(name + ": unknown field");
    }
    std::string_view value;
    if (field.value().get_string().get(value)) {
      return Status::InvalidArgument(name + ": must be a string");
    }
    fields[name] = std::string(value);
  }
  // At the end of the input current_location() is OUT_OF_BOUNDS; a location means more tokens.
  if (doc.current_location().error() == simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: trailing content after the object");
  }
  return fields;
}

}  // namespace om::ingest
