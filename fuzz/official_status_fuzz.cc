// Fuzzes what outagemap reads from official status pages (official/official_status.h): the
// Statuspage JSON's /status/indicator (json::StringAtPointer, then LevelFromIndicator) and RSS or
// Atom incident feeds (JudgeFeed). These are other parties' bytes, fetched over the network.
//
// Input: the whole input (capped at 256 KiB) is the page's body, read both as JSON and as a
// feed.
//
// Properties (violations __builtin_trap()):
//   - StringAtPointer fails only with kInvalidArgument or kNotFound; LevelFromIndicator only with
//     kInvalidArgument, and accepts exactly Statuspage's five indicators;
//   - JudgeFeed fails only with kInvalidArgument; a verdict is operational or degraded, and
//     degraded only for an entry less than the feed window before now.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_property.h"
#include "json/json_fields.h"
#include "official/official_status.h"

namespace {

using om::fuzz::Require;

constexpr size_t kMaxInputBytes = 256 << 10;
constexpr int64_t kNowMs = 1'780'000'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;
  std::string_view body(reinterpret_cast<const char*>(data), size);

  om::Result<std::string> indicator = om::json::StringAtPointer(body, "/status/indicator");
  if (indicator.ok()) {
    om::Result<om::official::Level> level = om::official::LevelFromIndicator(*indicator);
    const bool known = *indicator == "none" || *indicator == "minor" || *indicator == "major" ||
                       *indicator == "critical" || *indicator == "maintenance";
    Require(level.ok() == known);
    if (!level.ok()) Require(level.status().code() == om::StatusCode::kInvalidArgument);
  } else {
    Require(indicator.status().code() == om::StatusCode::kInvalidArgument ||
            indicator.status().code() == om::StatusCode::kNotFound);
  }

  const std::chrono::hours window(6);
  om::Result<om::official::FeedVerdict> verdict = om::official::JudgeFeed(body, kNowMs, window);
  if (!verdict.ok()) {
    Require(verdict.status().code() == om::StatusCode::kInvalidArgument);
    return 0;
  }
  Require(verdict->level == om::official::Level::kOperational ||
          verdict->level == om::official::Level::kDegraded);
  if (verdict->level == om::official::Level::kDegraded) {
    Require(verdict->entry_ms > kNowMs - std::chrono::milliseconds(window).count());
  }
  return 0;
}
