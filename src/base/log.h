#pragma once
// Minimal leveled logging to stderr: OM_LOG(kInfo) << "listening on " << addr;
// One line per statement, written with a single write() so lines from threads do not interleave.

#include <sstream>

namespace om {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Lines below `level` are dropped. Default kInfo. Thread-safe.
void SetMinLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

namespace internal {
struct LogVoidify {
  void operator&(std::ostream&) {}
};

class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};
}  // namespace internal

}  // namespace om

// Expression form (like OM_CHECK) so `if (x) OM_LOG(kInfo) << y;` has no dangling else.
// The replacement cannot be parenthesised: `<<` must bind to the stream at its end.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define OM_LOG(level)                      \
  !::om::LogEnabled(::om::LogLevel::level) \
      ? (void)0                            \
      : ::om::internal::LogVoidify() &     \
            ::om::internal::LogLine(::om::LogLevel::level, __FILE__, __LINE__).stream()
// NOLINTEND(bugprone-macro-parentheses)
