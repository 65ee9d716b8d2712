#include "web/badge.h"

#include <fmt/format.h>

namespace om::web {
namespace {

constexpr size_t kMaxLabelChars = 40;

// UTF-8 code points in `s` (continuation bytes are not counted).
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `max` code points of `s`, plus an ellipsis when cut.
std::string Truncate(std::string_view s, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && n++ == max) {
      return std::string(s.substr(0, i)) + "\u2026";
    }
  }
  return std::string(s);
}

struct Look {
  const char* text;
  const char* fill;
  const char* ink;  // text colour with enough contrast on `fill`
};

Look LookFor(std::string_view status) {
  if (status == "normal") return {"no problems", "#009E73", "#ffffff"};
  if (status == "possible") return {"possible problems", "#E69F00", "#1b1b1b"};
  if (status == "outage") return {"outage", "#D55E00", "#ffffff"};
  return {"unknown", "#9e9e9e", "#1b1b1b"};
}

// Width in px of `chars` characters of 11 px Verdana/DejaVu Sans, plus padding. An estimate (no
// font metrics at hand): 7 px per character covers most Latin text without clipping.
int TextWidth(size_t chars) { return static_cast<int>(chars) * 7 + 12; }

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0 at all.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string RenderStatusBadge(std::string_view label, std::string_view status) {
  std::string cut = Truncate(label, kMaxLabelChars);
  std::string name = XmlEscape(cut);
  Look look = LookFor(status);
  int left = TextWidth(CodePoints(cut));
  int right = TextWidth(CodePoints(look.text));
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"20\" role=\"img\" "
      "aria-label=\"{name}: {status}\"><title>{name}: {status}</title>"
      "<rect width=\"{w}\" height=\"20\" rx=\"3\" fill=\"#555\"/>"
      "<rect x=\"{left}\" width=\"{right}\" height=\"20\" rx=\"3\" fill=\"{fill}\"/>"
      "<rect x=\"{left}\" width=\"4\" height=\"20\" fill=\"{fill}\"/>"
      "<g font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\" "
      "text-anchor=\"middle\"><text x=\"{label_x}\" y=\"14\" fill=\"#fff\">{name}</text>"
      "<text x=\"{status_x}\" y=\"14\" fill=\"{ink}\">{status}</text></g></svg>",
      fmt::arg("w", left + right), fmt::arg("name", name), fmt::arg("status", look.text),
      fmt::arg("left", left), fmt::arg("right", right), fmt::arg("fill", look.fill),
      fmt::arg("ink", look.ink), fmt::arg("label_x", left / 2),
      fmt::arg("status_x", left + right / 2));
}

}  // namespace om::web
