#pragma once
// ConfigFile reads the TOML configuration file (`outagemap serve --config FILE`). It does not know
// the options: server/ holds each module's Options struct (whose initialisers are the defaults)
// and asks ConfigFile to override fields that the file sets. Every error names the file, line and
// key path, e.g. "outagemap.toml:7: store.fsync: must be one of always, interval"; a key nobody
// asked for is an error too (a typo must not be silently ignored).
//
// Thread-safety: none; used once at start-up.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace om::config {

class ConfigFile {
 public:
  // An empty configuration (every Get leaves its field at the default).
  ConfigFile();
  ~ConfigFile();
  ConfigFile(ConfigFile&&) noexcept;
  ConfigFile& operator=(ConfigFile&&) noexcept;
  ConfigFile(const ConfigFile&) = delete;
  ConfigFile& operator=(const ConfigFile&) = delete;

  // Parses TOML text. kInvalidArgument with "<source>:<line>: <reason>" on a syntax error.
  static Result<ConfigFile> Parse(std::string_view text, std::string_view source);
  // Reads and parses a file. kNotFound / kIoError naming the path.
  static Result<ConfigFile> Load(const std::string& path);

  // Each Get overrides `out` when `key` ("store.fsync_interval_ms") is present and valid, leaves it
  // alone when absent, and returns kInvalidArgument naming file, line and key when the value has
  // the wrong type or is out of range.
  Status GetInt(std::string_view key, int64_t min, int64_t max, int64_t& out);
  Status GetBool(std::string_view key, bool& out);
  // A number (integer or float) within [min, max].
  Status GetDouble(std::string_view key, double min, double max, double& out);
  Status GetString(std::string_view key, std::string& out);
  Status GetStringArray(std::string_view key, std::vector<std::string>& out);
  // A string restricted to `allowed`.
  Status GetEnum(std::string_view key, const std::vector<std::string>& allowed, std::string& out);

  // kInvalidArgument naming the first key present in the file that no Get asked for.
  Status CheckNoUnknownKeys() const;

  // Every key a Get asked for, with its value after the Get (the file's, else the default), as
  // the README's configuration table writes values: numbers in their shortest form, true/false,
  // strings bare ("" when empty), arrays as ["a", "b"]. A test checks the table against it.
  std::map<std::string, std::string> Settled() const;

 private:
  Status ReadInt(std::string_view key, int64_t min, int64_t max, int64_t& out);
  Status ReadDouble(std::string_view key, double min, double max, double& out);
  Status ReadBool(std::string_view key, bool& out);
  Status ReadString(std::string_view key, std::string& out);
  Status ReadStringArray(std::string_view key, std::vector<std::string>& out);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace om::config
