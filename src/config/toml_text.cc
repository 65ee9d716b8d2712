#include "config/toml_text.h"

#include <cstdio>
#include <string>

namespace om::config {
namespace {

bool IsBareKeyCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Whether the backslash at the start of `rest` ends its line (only blanks after it).
bool LineEndingBackslash(std::string_view rest) {
  size_t k = 1;
  while (k < rest.size() && (rest[k] == ' ' || rest[k] == '\t' || rest[k] == '\r')) ++k;
  return k < rest.size() && rest[k] == '\n';
}

// Status "<source>:<line>: <description>" of a toml++ parse error.
Status ParseError(const toml::parse_error& error, std::string_view source) {
  return Status::InvalidArgument(std::string(source) + ":" +
                                 std::to_string(error.source().begin.line) + ": " +
                                 std::string(error.description()));
}

// Where a scan of the text stands: the constructs a '[' at the start of a line can be inside of.
enum class Context { kNormal, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };

}  // namespace

Status CheckTomlBytes(std::string_view text, std::string_view source) {
  int line = 1;
  auto error = [&](const std::string& what) {
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line) + ": " + what);
  };
  Context context = Context::kNormal;
  int depth = 0;             // open '[' and '{' of values (arrays span lines)
  bool line_start = true;    // only whitespace so far on this line
  bool header_line = false;  // this line is a table header: its brackets are not a value's
  bool escaped = false;      // the previous character was a backslash in a basic string
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\n') {
      ++line;
      line_start = true;
      header_line = false;
      escaped = false;
      // Comments and one-line strings end here (an unterminated string is toml++'s to name).
      if (context == Context::kComment || context == Context::kBasic ||
          context == Context::kLiteral) {
        context = Context::kNormal;
      }
      continue;
    }
    if ((byte < 0x20 && byte != '\t' && byte != '\r') || byte == 0x7f) {
      char code[8];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(byte));
      return error(std::string("control character ") + code + " is not allowed in TOML");
    }
    const bool at_line_start = line_start && c != ' ' && c != '\t' && c != '\r';
    if (at_line_start) line_start = false;
    const std::string_view rest = text.substr(i);
    if (escaped) {  // "\"" does not end the string; the character itself was checked above
      escaped = false;
      continue;
    }
    switch (context) {
      case Context::kComment:
        break;
      case Context::kBasic:
        if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          context = Context::kNormal;
        }
        break;
      case Context::kLiteral:
        if (c == '\'') context = Context::kNormal;
        break;
      case Context::kMultiBasic:
        if (c == '\\' && LineEndingBackslash(rest)) {
          // toml++ classifies the first character after the blank it trims; see the header.
          size_t k = 1;
          while (k < rest.size() &&
                 (rest[k] == ' ' || rest[k] == '\t' || rest[k] == '\r' || rest[k] == '\n')) {
            ++k;
          }
          if (k < rest.size() && static_cast<unsigned char>(rest[k]) >= 0x80) {
            return error(
                "a non-ASCII character right after a line-ending backslash cannot be read; put "
                "it on the backslash's line");
          }
        } else if (c == '\\') {
          escaped = true;
        } else if (rest.starts_with("\"\"\"")) {
          context = Context::kNormal;
          i += 2;
        }
        break;
      case Context::kMultiLiteral:
        if (rest.starts_with("'''")) {
          context = Context::kNormal;
          i += 2;
        }
        break;
      case Context::kNormal:
        if (byte >= 0x80) {
          // Keys, values and whitespace are ASCII in TOML 1.0; toml++ 3.3 classifies some code
          // points here with a table that ends in __builtin_unreachable (U+FC06-U+FEFE).
          return error("a non-ASCII character is allowed only inside a string or a comment");
        }
        if (c == '#') {
          context = Context::kComment;
        } else if (rest.starts_with("\"\"\"")) {
          context = Context::kMultiBasic;
          i += 2;
        } else if (rest.starts_with("'''")) {
          context = Context::kMultiLiteral;
          i += 2;
        } else if (c == '"') {
          context = Context::kBasic;
        } else if (c == '\'') {
          context = Context::kLiteral;
        } else if (c == '[' && at_line_start && depth == 0) {
          // A table header: what follows "[" or "[[" and any spaces must begin a key.
          size_t k = i + 1;
          if (k < text.size() && text[k] == '[') ++k;
          while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
          // (A control or non-ASCII character there is named as one, at the next step.)
          const auto next = k < text.size() ? static_cast<unsigned char>(text[k]) : 0;
          if (next == '\n' || next == '\r') return error("a table header must start with a key");
          if (next > 0x20 && next < 0x7f && next != ']' && !IsBareKeyCharacter(text[k]) &&
              next != '"' && next != '\'') {
            return error(std::string("a table header must start with a key, not '") + text[k] +
                         "'");
          }
          header_line = true;
        } else if (header_line) {
          // The header's own brackets: not a value's.
        } else if (c == '[' || c == '{') {
          ++depth;
        } else if ((c == ']' || c == '}') && depth > 0) {
          --depth;
        }
        break;
    }
  }
  return Status::Ok();
}

Result<toml::table> ParseToml(std::string_view text, std::string_view source) {
  OM_RETURN_IF_ERROR(CheckTomlBytes(text, source));
  std::string ascii;
  ascii.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    // The length of a well-formed UTF-8 sequence starting here; other bytes stay for toml++ to
    // refuse as invalid UTF-8.
    size_t length = byte >= 0xf0 && byte < 0xf5 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 1;
    if (byte < 0x80 || byte >= 0xf5) length = 1;
    bool sequence = length > 1 && i + length <= text.size();
    for (size_t k = 1; sequence && k < length; ++k) {
      sequence = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
    }
    if (sequence) {
      ascii += '`';
      i += length - 1;
    } else {
      ascii += text[i];
    }
  }
  toml::parse_result structure = toml::parse(ascii, source);
  if (!structure) return ParseError(structure.error(), source);
  if (ascii.size() == text.size()) return std::move(structure).table();
  toml::parse_result parsed = toml::parse(text, source);
  if (!parsed) return ParseError(parsed.error(), source);
  return std::move(parsed).table();
}

}  // namespace om::config
