#pragma once
// Hex encoding and random hex tokens, for API keys, webhook secrets, CSRF tokens and digests.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace om {

// Lower-case hex of `bytes`: two digits a byte.
std::string HexEncode(std::string_view bytes);

// `bytes` random bytes from the kernel's CSPRNG (getrandom(2)), hex-encoded. kInternal when the
// kernel gives none.
Result<std::string> RandomHex(size_t bytes);

}  // namespace om
