#pragma once
// What reporters say: the most common error codes and phrases in the texts of an incident's
// reports, e.g. "451 4.3.2 temporary server issue".
//
// Error codes are recognised by pattern (SMTP enhanced status codes such as "451 4.3.2", Windows
// style "0x80070005", "error 503" / "HTTP 503"); each code is shown with the most common text that
// carries it and counts every text that does. Other texts are compared after folding case, blanks
// and trailing punctuation, and listed when at least `min_repeats` reporters wrote them.
//
// Pure function; thread-safe.

#include <cstddef>
#include <string>
#include <vector>

namespace om::detect {

struct Phrase {
  std::string text;  // as a reporter wrote it (the most common spelling)
  std::string code;  // the error code it carries, empty for a plain phrase
  size_t count = 0;  // texts with this code or phrase
  double share = 0;  // count / number of texts
};

// Codes first (most frequent first), then repeated phrases; at most `limit`.
std::vector<Phrase> TopPhrases(const std::vector<std::string>& texts, size_t limit,
                               size_t min_repeats = 2);

}  // namespace om::detect
