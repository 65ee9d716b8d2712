#include "base/hex.h"

#include <sys/random.h>

namespace om {

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  // getrandom may return fewer bytes when interrupted; bounded retries.
  for (int i = 0; i < 16 && got < bytes; ++i) {
    ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  if (got < bytes) return Status::Internal("getrandom: no randomness available");
  return HexEncode(raw);
}

}  // namespace om
