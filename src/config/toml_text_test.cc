#include "config/toml_text.h"

#include <string>

#include <gtest/gtest.h>

namespace om::config {
namespace {

TEST(TomlBytesTest, TabsAndNewlinesPassEveryOtherControlCharacterIsNamedWithItsLine) {
  EXPECT_TRUE(CheckTomlBytes("a = 1\r\n[b]\n\tc = \"x\ty\" # \xc3\xa9\n", "f.toml").ok());
  EXPECT_TRUE(CheckTomlBytes("", "f.toml").ok());
  Status header = CheckTomlBytes("a = 1\n[\x01]\n", "f.toml");
  EXPECT_EQ(header.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(header.message(), "f.toml:2: control character U+0001 is not allowed in TOML");
  EXPECT_EQ(CheckTomlBytes(std::string("x = \"a\0b\"", 9), "c.toml").message(),
            "c.toml:1: control character U+0000 is not allowed in TOML");
  EXPECT_EQ(CheckTomlBytes("\n\n# \x7f", "c.toml").message(),
            "c.toml:3: control character U+007F is not allowed in TOML");
}

}  // namespace
namespace {

TEST(TomlBytesTest, ATableHeaderMustStartWithAKey) {
  EXPECT_EQ(CheckTomlBytes("a = 1\n[=server]\n", "f.toml").message(),
            "f.toml:2: a table header must start with a key, not '='");
  EXPECT_EQ(CheckTomlBytes("  [[ #x]]\n", "f.toml").message(),
            "f.toml:1: a table header must start with a key, not '#'");
  EXPECT_EQ(CheckTomlBytes(" [ \nx \n", "f.toml").message(),
            "f.toml:1: a table header must start with a key");
  EXPECT_EQ(CheckTomlBytes("[\xc3\xa9]\n", "f.toml").message(),
            "f.toml:1: a non-ASCII character is allowed only inside a string or a comment");
  EXPECT_EQ(CheckTomlBytes("a = 1\n\xef\xb3\xbf", "f.toml").message(),
            "f.toml:2: a non-ASCII character is allowed only inside a string or a comment");
  EXPECT_TRUE(CheckTomlBytes("name = \"\xef\xb3\xbf \xc3\xa9\" # \xef\xb3\xbf\n", "f.toml").ok());
  // Valid TOML where a line starts with '[' that is not a header, or a header is unusual.
  const char* valid[] = {
      R"([server]
listen = "x"
[[service]]
id = "a"
[ a . b ]
["a]b".c] # [=
)",
      R"(['lit']
[_x]
[-y]
[9]
[]
)",  // "[]" is toml++'s to refuse, with its own message
      R"(m = [
  [ {a = 1} ],
  [+1, .5],
  ["]", ']'],
]
[after]
)",
      R"(s = """
[=not a header
\""" """
[t]
)",
      R"(s = '''
[#not a header
'''
# [=comment
q = "a\"["
[u]
)",
  };
  for (const char* text : valid) EXPECT_TRUE(CheckTomlBytes(text, "v.toml").ok()) << text;
}

}  // namespace
}  // namespace om::config
