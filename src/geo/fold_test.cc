#include <string>

#include <gtest/gtest.h>

#include "geo/gazetteer.h"

namespace om::geo {
namespace {

TEST(FoldNameTest, LowercasesAscii) {
  EXPECT_EQ(FoldName("Minneapolis"), "minneapolis");
  EXPECT_EQ(FoldName("NEW YORK"), "new york");
  EXPECT_EQ(FoldName("route 66"), "route 66");
}

TEST(FoldNameTest, RemovesLatinDiacritics) {
  EXPECT_EQ(FoldName("Zürich"), "zurich");
  EXPECT_EQ(FoldName("São Paulo"), "sao paulo");
  EXPECT_EQ(FoldName("Besançon"), "besancon");
  EXPECT_EQ(FoldName("ÉCOLE"), "ecole");
  EXPECT_EQ(FoldName("Łódź"), "lodz");
  EXPECT_EQ(FoldName("Straße"), "strasse");
  EXPECT_EQ(FoldName("Ærøskøbing"), "aeroskobing");
  EXPECT_EQ(FoldName("Þórshöfn"), "thorshofn");
  EXPECT_EQ(FoldName("İstanbul"), "istanbul");
  EXPECT_EQ(FoldName("Đà Nẵng"), "da nang");  // Latin Extended Additional
  EXPECT_EQ(FoldName("Mazār-e Sharīf"), "mazar e sharif");
  EXPECT_EQ(FoldName("Bucureşti"), "bucuresti");  // s with cedilla
  EXPECT_EQ(FoldName("Constanța"), "constanta");  // t with comma below (Latin Extended-B)
  EXPECT_EQ(FoldName("Cze\xcc\x81"), "cze");      // combining acute accent is dropped
}

TEST(FoldNameTest, CollapsesPunctuationAndWhitespace) {
  EXPECT_EQ(FoldName("  Saint-Louis   Park  "), "saint louis park");
  EXPECT_EQ(FoldName("St. John's"), "st johns");
  EXPECT_EQ(FoldName("Qal‘ah-ye Shahr"), "qalah ye shahr");
  EXPECT_EQ(FoldName("a,b;c/d\te\nf"), "a b c d e f");
  EXPECT_EQ(FoldName("Stratford\xc2\xa0upon\xe2\x80\x93"
                     "Avon"),
            "stratford upon avon");
  EXPECT_EQ(FoldName(""), "");
  EXPECT_EQ(FoldName(" -.- "), "");
}

TEST(FoldNameTest, KeepsOtherScriptsUnchanged) {
  EXPECT_EQ(FoldName("Москва"), "Москва");
  EXPECT_EQ(FoldName("東京 Tokyo"), "東京 tokyo");
}

TEST(FoldNameTest, InvalidUtf8BytesAreSeparators) {
  EXPECT_EQ(FoldName("ab\xff"
                     "cd"),
            "ab cd");
  EXPECT_EQ(FoldName("ab\xc3"), "ab");  // truncated sequence
  EXPECT_EQ(FoldName("\xc0\xaf"
                     "x"),
            "x");                                // overlong '/'
  EXPECT_EQ(FoldName("x\xed\xa0\x80y"), "x y");  // UTF-16 surrogate
  EXPECT_EQ(FoldName(std::string("a\0b", 3)), "a b");
}

}  // namespace
}  // namespace om::geo
