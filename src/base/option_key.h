#pragma once
// OptionKey: one key of the configuration file (README.md, "Configuration"), declared next to the
// Options struct it sets, so that a module says in one place what it can be told: the key's name,
// its type, unit and accepted range, and what it means. server/server_config.cc reads the file
// with these ranges, and server_config_test.cc checks that README.md's table lists exactly these
// keys, with the defaults the structs settle on and these meanings.

#include <string_view>

namespace om {

enum class OptionType { kInt, kDouble, kBool, kString, kStringList, kEnum };

struct OptionKey {
  std::string_view name;  // "store.queue_capacity"
  OptionType type;
  std::string_view unit;  // of the value in the file: "ms", "s", "min", "days", "MiB", "bytes", ""
  // The accepted range, inclusive, for kInt and kDouble; 0 and 0 for the other types.
  double min;
  double max;
  std::string_view meaning;  // as README.md's table says it (Markdown)
};

}  // namespace om
