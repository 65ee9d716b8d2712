// Fuzzes catalog::Catalog::Parse, the reader of user service catalogs (TOML,
// docs/formats/catalog.md), with Validate and a merge into the built-in catalog, as a server
// started with `catalog.file` does.
//
// Input: the whole input (capped at 64 KiB) is the catalog's text.
//
// Properties (violations __builtin_trap()):
//   - Parse, Validate and Merge fail only with kInvalidArgument naming the source ("fuzz.toml")
//     or the services involved;
//   - a parsed catalog's services have distinct ids, and Find gives each id its own service.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "fuzz_property.h"

namespace {

using om::fuzz::Require;

constexpr size_t kMaxInputBytes = 64 << 10;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  om::Result<om::catalog::Catalog> parsed = om::catalog::Catalog::Parse(text, "fuzz.toml");
  if (!parsed.ok()) {
    Require(parsed.status().code() == om::StatusCode::kInvalidArgument);
    Require(parsed.status().message().starts_with("fuzz.toml"));
    return 0;
  }
  std::set<std::string> ids;
  for (const auto& service : parsed->services()) {
    Require(ids.insert(service.id).second);
    const om::catalog::Service* found = parsed->Find(service.id);
    Require(found != nullptr && found->id == service.id);
  }
  om::Status valid = parsed->Validate();
  Require(valid.ok() || valid.code() == om::StatusCode::kInvalidArgument);
  static const om::catalog::Catalog* const builtin = [] {
    auto loaded = om::catalog::Catalog::LoadBuiltin();
    Require(loaded.ok());
    return new om::catalog::Catalog(std::move(*loaded));
  }();
  om::catalog::Catalog merged = *builtin;
  om::Status merge = merged.Merge(*parsed);
  Require(merge.ok() || merge.code() == om::StatusCode::kInvalidArgument);
  return 0;
}
