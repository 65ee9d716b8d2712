// Fuzzes api::DecodeForwardedRequest and api::DecodeForwardedResponse, which read the bytes one
// cluster node hands another (api/write_forwarding.h): a peer's bug or a stranger on the NATS
// cluster must not crash the leader.
//
// Input: the first byte chooses request (even) or response (odd); the rest is the message.
// Capped at 64 KiB.
//
// Properties (violations __builtin_trap()):
//   - decoding either succeeds or fails with kCorruption;
//   - the format has one encoding per value: what decodes encodes back to the same bytes;
//   - a decoded response's status is an HTTP status (100-599).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/write_forwarding.h"
#include "fuzz_property.h"

namespace {

using om::fuzz::Require;

constexpr size_t kMaxInputBytes = 64 << 10;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > kMaxInputBytes) return -1;
  const bool response = (data[0] & 1) != 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (response) {
    om::Result<om::api::HttpResponse> decoded = om::api::DecodeForwardedResponse(bytes);
    if (!decoded.ok()) {
      Require(decoded.status().code() == om::StatusCode::kCorruption);
      return 0;
    }
    Require(decoded->status >= 100 && decoded->status <= 599);
    Require(om::api::EncodeForwardedResponse(*decoded) == bytes);
  } else {
    om::Result<om::api::HttpRequest> decoded = om::api::DecodeForwardedRequest(bytes);
    if (!decoded.ok()) {
      Require(decoded.status().code() == om::StatusCode::kCorruption);
      return 0;
    }
    Require(om::api::EncodeForwardedRequest(*decoded) == bytes);
  }
  return 0;
}
