// FoldName: table-driven UTF-8 folding, generated from tools/gazetteer/fold.js (see gazetteer.h).

#include <cstdint>
#include <string>
#include <string_view>

#include "geo/gazetteer.h"

namespace om::geo {
namespace {

struct FoldRange {
  uint32_t lo;  // first code point
  uint32_t hi;  // one past the last
  const char* const* entries;
};

#include "geo/fold_table.inc"

// Decodes one UTF-8 sequence at s[i]. Returns its length and sets `cp`, or returns 0 for an
// invalid or truncated sequence (overlong forms and surrogates included).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const uint8_t c0 = b(0);
  size_t len = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xbf;
  if (c0 >= 0xc2 && c0 <= 0xdf) {
    len = 2;
    cp = c0 & 0x1fu;
  } else if (c0 >= 0xe0 && c0 <= 0xef) {
    len = 3;
    cp = c0 & 0x0fu;
    if (c0 == 0xe0) lo = 0xa0;
    if (c0 == 0xed) hi = 0x9f;
  } else if (c0 >= 0xf0 && c0 <= 0xf4) {
    len = 4;
    cp = c0 & 0x07u;
    if (c0 == 0xf0) lo = 0x90;
    if (c0 == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    const uint8_t ck = b(k);
    if (ck < (k == 1 ? lo : 0x80) || ck > (k == 1 ? hi : 0xbf)) return 0;
    cp = (cp << 6) | (ck & 0x3fu);
  }
  return len;
}

// Appends folded characters, turning ' ' into at most one separator between words.
class Folder {
 public:
  explicit Folder(std::string& out) : out_(out) {}
  void Separator() { pending_separator_ = !out_.empty(); }
  void Append(std::string_view chars) {
    for (char c : chars) {
      if (c == ' ') {
        Separator();
      } else {
        Char(c);
      }
    }
  }
  void Char(char c) {
    if (pending_separator_) out_.push_back(' ');
    pending_separator_ = false;
    out_.push_back(c);
  }

 private:
  std::string& out_;
  bool pending_separator_ = false;
};

}  // namespace

std::string FoldName(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  Folder folder(out);
  size_t i = 0;
  while (i < utf8.size()) {
    const auto c = static_cast<uint8_t>(utf8[i]);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') {
        folder.Char(static_cast<char>(c + ('a' - 'A')));
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
        folder.Char(static_cast<char>(c));
      } else if (c != '\'' && c != '`') {
        folder.Separator();
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t len = DecodeUtf8(utf8, i, cp);
    if (len == 0) {
      folder.Separator();
      ++i;
      continue;
    }
    const char* folded = nullptr;
    bool in_table = false;
    for (const FoldRange& range : kFoldRanges) {
      if (cp >= range.lo && cp < range.hi) {
        folded = range.entries[cp - range.lo];
        in_table = true;
        break;
      }
    }
    if (in_table && folded != nullptr) {
      folder.Append(folded);
    } else {
      for (size_t k = 0; k < len; ++k) folder.Char(utf8[i + k]);
    }
    i += len;
  }
  return out;
}

}  // namespace om::geo
