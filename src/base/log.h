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

#define OM_LOG(level)                                   \
  if (!::om::LogEnabled(::om::LogLevel::level)) {       \
  } else                                                \
    ::om::internal::LogLine(::om::LogLevel::level, __FILE__, __LINE__).stream()
