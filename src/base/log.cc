#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstring>

#include "base/time.h"

namespace om {
namespace {
std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace

void SetMinLogLevel(LogLevel level) { min_level.store(static_cast<int>(level)); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= min_level.load(); }

namespace internal {

LogLine::LogLine(LogLevel level, const char* file, int line) {
  static constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
  const char* base = std::strrchr(file, '/');
  stream_ << FormatRfc3339(SystemClock::Instance().Now()) << " " << kNames[static_cast<int>(level)]
          << " " << (base ? base + 1 : file) << ":" << line << "] ";
}

LogLine::~LogLine() {
  stream_ << '\n';
  std::string s = stream_.str();
  ssize_t ignored = ::write(STDERR_FILENO, s.data(), s.size());
  (void)ignored;
}

}  // namespace internal
}  // namespace om
