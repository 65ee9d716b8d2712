// Fuzzes the configuration file: config::ConfigFile::Parse (TOML) and server::ApplyServerConfig,
// which reads every declared key from it (README.md's table). The file is an operator's, but a
// typo or a truncated copy must end in a message, never a crash.
//
// Input: the whole input (capped at 64 KiB) is the file's text.
//
// Properties (violations __builtin_trap()):
//   - Parse and ApplyServerConfig fail only with kInvalidArgument, naming the source
//     ("fuzz.toml:");
//   - when both succeed, every settled key is a declared one, and applying the same text to a
//     fresh config gives the same settled values (reading is deterministic).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/config_file.h"
#include "fuzz_property.h"
#include "server/server_config.h"

namespace {

using om::fuzz::Require;

constexpr size_t kMaxInputBytes = 64 << 10;

void RequireNamedError(const om::Status& status) {
  Require(status.code() == om::StatusCode::kInvalidArgument);
  Require(status.message().starts_with("fuzz.toml"));
}

// The settled keys after applying `text`, or nothing when it is refused.
bool Apply(std::string_view text, std::map<std::string, std::string>& settled) {
  om::Result<om::config::ConfigFile> file = om::config::ConfigFile::Parse(text, "fuzz.toml");
  if (!file.ok()) {
    RequireNamedError(file.status());
    return false;
  }
  om::server::ServerConfig config;
  om::Status applied = om::server::ApplyServerConfig(*file, config);
  if (!applied.ok()) {
    RequireNamedError(applied);
    return false;
  }
  settled = file->Settled();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> first;
  if (!Apply(text, first)) return 0;
  for (const auto& [key, value] : first) {
    bool declared = false;
    for (const auto& option : om::server::DeclaredOptionKeys()) declared |= option.name == key;
    Require(declared);
  }
  std::map<std::string, std::string> second;
  Require(Apply(text, second));
  Require(first == second);
  return 0;
}
