// Fuzzes api::UrlDecode and api::QueryParam, which read untrusted query strings.
//
// Input: the bytes up to the first '\n' are the key, the rest the query string (no '\n': the whole
// input is both). Capped at 16 KiB.
//
// Properties (violations __builtin_trap()):
//   - UrlDecode never makes a string longer, and is the identity on strings without '%' or '+';
//   - oracle: UrlDecode agrees with a byte-at-a-time reference decoder, and inverts
//   percent-encoding
//     of every byte;
//   - QueryParam finds a key exactly when some '&'-separated part's decoded name equals it, and
//     returns that part's decoded value; a query built from encoded key=value gives back value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/http.h"
#include "fuzz_property.h"

namespace {

using om::fuzz::Require;

constexpr size_t kMaxInputBytes = 16 << 10;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reference: '+' is a space, "%XY" with two hex digits is that byte, anything else is literal.
std::string ReferenceDecode(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '+') {
      out += ' ';
      i += 1;
    } else if (s[i] == '%' && s.size() - i >= 3 && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 3;
    } else {
      out += s[i];
      i += 1;
    }
  }
  return out;
}

// Percent-encodes every byte ("%2F" style, mixed case to cover both hex alphabets).
std::string EncodeAll(std::string_view s) {
  static constexpr char kUpper[] = "0123456789ABCDEF";
  static constexpr char kLower[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* digits = i % 2 == 0 ? kUpper : kLower;
    auto b = static_cast<unsigned char>(s[i]);
    out += '%';
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

// Reference QueryParam: first part (split on '&') whose decoded name equals `key`.
bool ReferenceQueryParam(std::string_view query, std::string_view key, std::string& value) {
  size_t start = 0;
  for (;;) {
    size_t amp = query.find('&', start);
    std::string_view part =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    size_t eq = part.find('=');
    if (ReferenceDecode(part.substr(0, eq)) == key) {
      value = eq == std::string_view::npos ? "" : ReferenceDecode(part.substr(eq + 1));
      return true;
    }
    if (amp == std::string_view::npos) return false;
    start = amp + 1;
  }
}

void CheckDecode(std::string_view s) {
  std::string decoded = om::api::UrlDecode(s);
  Require(decoded.size() <= s.size());
  if (s.find_first_of("%+") == std::string_view::npos) Require(decoded == s);
  Require(decoded == ReferenceDecode(s));
  Require(om::api::UrlDecode(EncodeAll(s)) == s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t newline = input.find('\n');
  std::string_view key = input.substr(0, newline);
  std::string_view query = newline == std::string_view::npos ? input : input.substr(newline + 1);

  CheckDecode(input);
  CheckDecode(key);

  std::string value = "unchanged";
  bool found = om::api::QueryParam(query, key, value);
  std::string expected;
  bool expected_found = ReferenceQueryParam(query, key, expected);
  Require(found == expected_found);
  if (found) {
    Require(value == expected);
    Require(value.size() <= query.size());
  } else {
    Require(value == "unchanged");  // not written when the key is absent
  }

  // A query built from the encoded key and value gives the value back, also after other params.
  std::string built =
      "x=1&" + EncodeAll(key) + "=" + EncodeAll(query) + "&" + EncodeAll(key) + "=2";
  std::string round;
  Require(om::api::QueryParam(built, key, round));
  Require(key == "x" ? round == "1" : round == query);
  return 0;
}
