// Fuzzes the two readers of stored bytes (docs/formats/report-log.md):
//   - store::DecodeReport on the input as one record payload: returns a Status, never crashes; when
//     it accepts, EncodeReport then DecodeReport gives an equal Report (oracle round-trip);
//   - store::ReadLog on the input written as segment file log-0000000000000001.omlog in
//     /tmp/om_fuzz_<pid>/: never crashes; every record it returns is at most kMaxRecordPayload
//     bytes, positions increase and stay inside the file. An input of odd length also gets an
//     empty newer segment 2, so segment 1 is read as a closed segment (corrupt records are skipped
//     rather than ending the read).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/log.h"
#include "base/status.h"
#include "fuzz_property.h"
#include "store/report.h"
#include "store/report_log.h"

namespace {

using om::fuzz::Require;

constexpr size_t kMaxInputBytes = 256 << 10;  // a few maximum-size records

void WriteFileOrDie(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  Require(fd >= 0);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    Require(n > 0);
    done += static_cast<size_t>(n);
  }
  ::close(fd);
}

// The scratch directory, created once per process and removed at exit.
const std::string& ScratchDir() {
  static const std::string* dir = [] {
    om::SetMinLogLevel(om::LogLevel::kError);  // ReadLog warns about every corrupt record
    auto* d = new std::string("/tmp/om_fuzz_" + std::to_string(::getpid()));  // leaked on purpose
    ::mkdir(d->c_str(), 0755);
    std::atexit([] {
      const std::string& s = ScratchDir();
      ::unlink((s + "/" + om::store::SegmentFileName(1)).c_str());
      ::unlink((s + "/" + om::store::SegmentFileName(2)).c_str());
      ::rmdir(s.c_str());
    });
    return d;
  }();
  return *dir;
}

void CheckDecode(std::string_view bytes) {
  om::Result<om::store::Report> r = om::store::DecodeReport(bytes);
  if (!r.ok()) {
    Require(r.status().code() == om::StatusCode::kCorruption);
    Require(!r.status().message().empty());
    return;
  }
  Require(r->text.size() <= om::store::kMaxTextBytes);
  std::string again;
  om::store::EncodeReport(*r, again);
  om::Result<om::store::Report> r2 = om::store::DecodeReport(again);
  Require(r2.ok());
  Require(*r2 == *r);
  // A canonical payload re-encodes to itself.
  std::string third;
  om::store::EncodeReport(*r2, third);
  Require(third == again);
}

void CheckReadLog(std::string_view bytes) {
  const std::string& dir = ScratchDir();
  const std::string seg1 = dir + "/" + om::store::SegmentFileName(1);
  const std::string seg2 = dir + "/" + om::store::SegmentFileName(2);
  WriteFileOrDie(seg1, bytes);
  bool two_segments = bytes.size() % 2 == 1;
  if (two_segments) {
    WriteFileOrDie(seg2, "OMRLOG01");
  } else {
    ::unlink(seg2.c_str());
  }
  uint64_t calls = 0;
  om::store::LogPosition last;
  om::Result<om::store::ReadStats> stats = om::store::ReadLog(
      dir, om::store::LogPosition{}, [&](std::string_view payload, om::store::LogPosition next) {
        ++calls;
        Require(payload.size() <= om::store::kMaxRecordPayload);
        Require(next.segment == 1);  // segment 2 holds no records
        Require(next > last);
        Require(next.offset >=
                om::store::kLogHeaderBytes + om::store::kRecordHeaderBytes + payload.size());
        Require(next.offset <= bytes.size());
        last = next;
        // Records are report payloads in the real log: the decoder must cope with any of them.
        (void)om::store::DecodeReport(payload).ok();
      });
  Require(stats.ok());
  Require(stats->records == calls);
  Require(stats->corrupt_bytes_skipped <= bytes.size());
  if (!two_segments) Require(stats->corrupt_bytes_skipped == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return -1;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckDecode(bytes);
  CheckReadLog(bytes);
  return 0;
}
