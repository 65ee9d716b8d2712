#include "detect/phrases.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>

namespace om::detect {
namespace {

// Lower case, single spaces, no trailing punctuation, at most 120 bytes.
std::string Fold(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.' || out.back() == '!' ||
                          out.back() == ',' || out.back() == ';')) {
    out.pop_back();
  }
  if (out.size() > 120) out.resize(120);
  return out;
}

std::string FindCode(const std::string& text) {
  static const std::regex kPatterns[] = {
      std::regex(R"(\b[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b)"),
      std::regex(R"(\b0x[0-9a-fA-F]{4,8}\b)"),
      std::regex(R"(\b(?:error|err|code|http)[ :#-]*\d{3,5}\b)", std::regex::icase),
  };
  std::smatch m;
  for (const auto& pattern : kPatterns) {
    if (std::regex_search(text, m, pattern)) {
      std::string code = m.str();
      for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return code;
    }
  }
  return {};
}

struct Tally {
  size_t count = 0;
  std::map<std::string, size_t> spellings;  // original text -> count
  std::string Best() const {
    return std::max_element(spellings.begin(), spellings.end(),
                            [](const auto& a, const auto& b) { return a.second < b.second; })
        ->first;
  }
};

}  // namespace

std::vector<Phrase> TopPhrases(const std::vector<std::string>& texts, size_t limit,
                               size_t min_repeats) {
  std::map<std::string, Tally> codes, phrases;
  for (const std::string& text : texts) {
    std::string folded = Fold(text);
    if (folded.empty()) continue;
    std::string trimmed = text.substr(0, 120);
    std::string code = FindCode(text);
    Tally& t = code.empty() ? phrases[folded] : codes[code];
    ++t.count;
    ++t.spellings[trimmed];
  }
  auto by_count = [](const Phrase& a, const Phrase& b) {
    return a.count != b.count ? a.count > b.count : a.text < b.text;
  };
  double n = static_cast<double>(std::max<size_t>(1, texts.size()));
  std::vector<Phrase> from_codes, from_phrases;
  for (const auto& [code, t] : codes) {
    from_codes.push_back({t.Best(), code, t.count, static_cast<double>(t.count) / n});
  }
  for (const auto& [folded, t] : phrases) {
    if (t.count < min_repeats) continue;
    from_phrases.push_back({t.Best(), "", t.count, static_cast<double>(t.count) / n});
  }
  std::sort(from_codes.begin(), from_codes.end(), by_count);
  std::sort(from_phrases.begin(), from_phrases.end(), by_count);
  from_codes.insert(from_codes.end(), from_phrases.begin(), from_phrases.end());
  if (from_codes.size() > limit) from_codes.resize(limit);
  return from_codes;
}

}  // namespace om::detect
