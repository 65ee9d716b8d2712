#pragma once
// ParseToml: how every TOML reader (configuration, catalogs, scenarios) parses, with what toml++
// 3.3 (Debian 12) does not check itself on bytes nobody meant. CheckTomlBytes refuses first:
//   - TOML 1.0 allows no control character but tab outside a newline (LF or CR LF), not even
//     inside a string or a comment;
//   - a table header ("[name]" or "[[name]]" at the start of a line, outside any value) must
//     start with a key: a bare-key character (A-Z a-z 0-9 _ -) or a quote. toml++ asserts this
//     without checking it ("[=x]", "[#x]"), and a release build turns the assertion into an
//     assumption for the optimizer, so such a file is undefined behaviour there;
//   - outside strings and comments, TOML is ASCII. toml++ asks of a code point there whether it
//     is whitespace with a table that reaches __builtin_unreachable for U+00A1-U+0499,
//     U+2C8E-U+3087 and U+FC06-U+FEFE (undefined behaviour, found for U+FCFF), and asks it too
//     of the first character after a multi-line string's line-ending backslash, which is
//     therefore refused when it is not ASCII.
// Then ParseToml parses a copy in which every non-ASCII code point is a '`' (never valid outside
// a string or a comment), so that a document is parsed as it is only once its structure is known
// to hold the rest inside strings and comments, whatever CheckTomlBytes made of it.
// All found by fuzz/config_file_fuzz.cc and fuzz/catalog_fuzz.cc.

#include <string_view>

#include <toml++/toml.h>

#include "base/status.h"

namespace om::config {

// kInvalidArgument "<source>:<line>: <what>" for the first breach of the rules above, e.g.
// "f.toml:3: control character U+0001 is not allowed in TOML" or "f.toml:1: a table header must
// start with a key, not '='"; Ok otherwise (toml++ checks the rest).
Status CheckTomlBytes(std::string_view text, std::string_view source);

// The document in `text`, or kInvalidArgument "<source>:<line>: <what>" (CheckTomlBytes' or
// toml++'s description; a description may show '`' for a non-ASCII character).
Result<toml::table> ParseToml(std::string_view text, std::string_view source);

}  // namespace om::config
