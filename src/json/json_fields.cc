#include "json/json_fields.h"

#include <simdjson.h>

#include <algorithm>

namespace om::json {

Result<Fields> ParseFields(std::string_view body, const std::vector<std::string_view>& strings,
                           const std::vector<std::string_view>& lists, size_t max_items) {
  simdjson::padded_string padded(body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto error = parser.iterate(padded).get(doc)) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object)) return Status::InvalidArgument("body must be a JSON object");
  Fields fields;
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) {
      return Status::InvalidArgument(std::string("invalid JSON: ") +
                                     simdjson::error_message(error));
    }
    std::string name(key.substr(0, 64));
    bool is_list = std::find(lists.begin(), lists.end(), key) != lists.end();
    if (!is_list && std::find(strings.begin(), strings.end(), key) == strings.end()) {
      return Status::InvalidArgument(name + ": unknown field");
    }
    if (!is_list) {
      std::string_view value;
      if (field.value().get_string().get(value)) {
        return Status::InvalidArgument(name + ": must be a string");
      }
      fields.strings[name] = std::string(value);
      continue;
    }
    simdjson::ondemand::array array;
    if (field.value().get_array().get(array)) {
      return Status::InvalidArgument(name + ": must be an array of strings");
    }
    std::vector<std::string>& items = fields.lists[name];
    for (auto item : array) {
      std::string_view value;
      if (item.get_string().get(value)) {
        return Status::InvalidArgument(name + ": must be an array of strings");
      }
      if (items.size() == max_items) {
        return Status::InvalidArgument(name + ": at most " + std::to_string(max_items) + " items");
      }
      items.emplace_back(value);
    }
  }
  // At the end of the input current_location() is OUT_OF_BOUNDS; a location means more tokens.
  if (doc.current_location().error() == simdjson::SUCCESS) {
    return Status::InvalidArgument("invalid JSON: trailing content after the object");
  }
  return fields;
}

Result<std::map<std::string, std::string>> ParseStringFields(
    std::string_view body, const std::vector<std::string_view>& allowed) {
  OM_ASSIGN_OR_RETURN(Fields fields, ParseFields(body, allowed, {}));
  return std::move(fields.strings);
}

Result<std::string> StringAtPointer(std::string_view body, std::string_view pointer) {
  simdjson::padded_string padded(body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto error = parser.iterate(padded).get(doc)) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
  }
  std::string_view value;
  auto error = doc.at_pointer(pointer).get_string().get(value);
  if (error == simdjson::NO_SUCH_FIELD || error == simdjson::INDEX_OUT_OF_BOUNDS) {
    return Status::NotFound(std::string(pointer) + ": not in the document");
  }
  if (error == simdjson::INCORRECT_TYPE) {
    return Status::InvalidArgument(std::string(pointer) + ": not a string");
  }
  if (error) {
    return Status::InvalidArgument(std::string("invalid JSON at ") + std::string(pointer) + ": " +
                                   simdjson::error_message(error));
  }
  return std::string(value);
}

}  // namespace om::json
