#include "store/report_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/crc32c.h"
#include "base/log.h"

namespace om::store {
namespace {

constexpr char kMagic[kLogHeaderBytes] = {'O', 'M', 'R', 'L', 'O', 'G', '0', '1'};

void PutFixed32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }  // little-endian hosts only
uint32_t GetFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

Status Errno(std::string_view what, const std::string& path) {
  return Status::IoError(std::string(what) + " " + path + ": " + ErrnoText(errno));
}

std::vector<uint64_t> ListSegments(const std::string& dir) {
  std::vector<uint64_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() == 26 && name.rfind("log-", 0) == 0 && name.ends_with(".omlog")) {
      char* end = nullptr;
      uint64_t n = std::strtoull(name.c_str() + 4, &end, 16);
      if (end == name.c_str() + 20) out.push_back(n);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

// Scans records of one segment from `offset`. Returns the offset after the last good record and
// whether scanning stopped on a bad record before the end of the data.
struct ScanResult {
  uint64_t good_end;
  bool bad;
};
ScanResult ScanSegment(std::string_view data, uint64_t offset,
                       const std::function<void(std::string_view, uint64_t)>& fn) {
  if (data.size() < kLogHeaderBytes || std::memcmp(data.data(), kMagic, kLogHeaderBytes) != 0) {
    return {0, !data.empty()};
  }
  uint64_t pos = std::max<uint64_t>(offset, kLogHeaderBytes);
  while (pos < data.size()) {
    if (data.size() - pos < kRecordHeaderBytes) return {pos, true};
    uint32_t masked = GetFixed32(data.data() + pos);
    uint32_t length = GetFixed32(data.data() + pos + 4);
    if (length > kMaxRecordPayload || data.size() - pos - kRecordHeaderBytes < length) {
      return {pos, true};
    }
    uint32_t crc = crc32c::Value(data.data() + pos + 4, 4 + length);
    if (crc32c::Unmask(masked) != crc) return {pos, true};
    uint64_t next = pos + kRecordHeaderBytes + length;
    if (fn) fn(data.substr(pos + kRecordHeaderBytes, length), next);
    pos = next;
  }
  return {pos, false};
}

}  // namespace

std::string SegmentFileName(uint64_t segment) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "log-%016llx.omlog", static_cast<unsigned long long>(segment));
  return buf;
}

void FrameRecord(std::string_view payload, std::string& out) {
  size_t at = out.size();
  out.resize(at + kRecordHeaderBytes);
  PutFixed32(out.data() + at + 4, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  uint32_t crc = crc32c::Value(out.data() + at + 4, 4 + payload.size());
  PutFixed32(out.data() + at, crc32c::Mask(crc));
}

Result<ReadStats> ReadLog(const std::string& dir, LogPosition from,
                          const std::function<void(std::string_view, LogPosition)>& fn) {
  ReadStats stats;
  std::vector<uint64_t> segments = ListSegments(dir);
  for (size_t i = 0; i < segments.size(); ++i) {
    uint64_t seg = segments[i];
    if (seg < from.segment) continue;
    std::string path = dir + "/" + SegmentFileName(seg);
    OM_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(path));
    uint64_t start = seg == from.segment ? from.offset : 0;
    ScanResult scan = ScanSegment(data, start, [&](std::string_view payload, uint64_t next) {
      ++stats.records;
      fn(payload, LogPosition{seg, next});
    });
    if (scan.bad) {
      if (i + 1 < segments.size()) {
        stats.corrupt_bytes_skipped += data.size() - scan.good_end;
        OM_LOG(kWarning) << "report log " << path << ": bad record at offset " << scan.good_end
                         << ", skipping " << (data.size() - scan.good_end) << " bytes";
      } else {
        break;  // torn tail of the newest segment
      }
    }
  }
  return stats;
}

ReportLog::ReportLog(LogOptions options) : options_(std::move(options)) {}

ReportLog::~ReportLog() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<ReportLog>> ReportLog::Open(const LogOptions& options,
                                                   uint64_t* truncated_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::IoError("create " + options.dir + ": " + ec.message());
  std::unique_ptr<ReportLog> log(new ReportLog(options));
  std::vector<uint64_t> segments = ListSegments(options.dir);
  if (truncated_bytes) *truncated_bytes = 0;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    log->closed_bytes_ +=
        std::filesystem::file_size(options.dir + "/" + SegmentFileName(segments[i]), ec);
  }
  if (segments.empty()) {
    OM_RETURN_IF_ERROR(log->OpenSegment(1, /*create=*/true));
    return log;
  }
  uint64_t last = segments.back();
  std::string path = options.dir + "/" + SegmentFileName(last);
  OM_ASSIGN_OR_RETURN(std::string data, ReadWholeFile(path));
  ScanResult scan = ScanSegment(data, 0, nullptr);
  uint64_t keep = scan.good_end;
  if (keep < kLogHeaderBytes) keep = 0;  // torn header: rewrite it
  if (keep < data.size()) {
    OM_LOG(kWarning) << "report log " << path << ": truncating torn tail of "
                     << (data.size() - keep) << " bytes at offset " << keep;
    if (::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) return Errno("truncate", path);
    if (truncated_bytes) *truncated_bytes = data.size() - keep;
  }
  OM_RETURN_IF_ERROR(log->OpenSegment(last, /*create=*/keep == 0));
  return log;
}

Status ReportLog::OpenSegment(uint64_t segment, bool create) {
  std::string path = options_.dir + "/" + SegmentFileName(segment);
  int flags = O_WRONLY | O_CLOEXEC | O_APPEND | (create ? O_CREAT | O_TRUNC : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return Errno("open", path);
  if (fd_ >= 0) {
    closed_bytes_ += offset_;
    ::close(fd_);
  }
  fd_ = fd;
  segment_ = segment;
  if (create) {
    if (::write(fd_, kMagic, kLogHeaderBytes) != static_cast<ssize_t>(kLogHeaderBytes)) {
      return Errno("write header", path);
    }
    offset_ = kLogHeaderBytes;
    dir_dirty_ = true;
  } else {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Errno("stat", path);
    offset_ = static_cast<uint64_t>(st.st_size);
  }
  return Status::Ok();
}

Status ReportLog::Append(std::string_view framed) {
  if (offset_ + framed.size() > options_.segment_bytes && offset_ > kLogHeaderBytes) {
    // Records never straddle segments: finish the old one durably before starting the next.
    OM_RETURN_IF_ERROR(Sync());
    OM_RETURN_IF_ERROR(OpenSegment(segment_ + 1, /*create=*/true));
  }
  const char* p = framed.data();
  size_t left = framed.size();
  const uint64_t start = offset_;
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("write", options_.dir + "/" + SegmentFileName(segment_));
      // Cut whatever part of the batch reached the file, so a later append starts on a boundary.
      if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
        OM_LOG(kError) << "report log: cannot undo partial write: " << ErrnoText(errno);
      }
      offset_ = start;
      return s;
    }
    p += n;
    left -= static_cast<size_t>(n);
    offset_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status ReportLog::Sync() {
  if (::fdatasync(fd_) != 0) return Errno("fdatasync", options_.dir);
  if (dir_dirty_) {
    int dfd = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    dir_dirty_ = false;
  }
  return Status::Ok();
}

std::vector<uint64_t> ReportLog::segments() const { return ListSegments(options_.dir); }

Status ReportLog::DropSegmentsBefore(uint64_t segment) {
  for (uint64_t s : ListSegments(options_.dir)) {
    if (s >= segment || s >= segment_) break;
    std::string path = options_.dir + "/" + SegmentFileName(s);
    std::error_code ec;
    uint64_t size = std::filesystem::file_size(path, ec);
    if (::unlink(path.c_str()) != 0) return Errno("unlink", path);
    closed_bytes_ -= std::min(closed_bytes_, size);
  }
  return Status::Ok();
}

}  // namespace om::store
