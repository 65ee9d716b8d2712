#include "store/report_log.h"

#include <algorithm>
#include <cstring>

#include "base/check.h"
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

std::vector<uint64_t> ListSegments(Env& env, const std::string& dir) {
  std::vector<uint64_t> out;
  Result<std::vector<std::string>> names = env.ListDir(dir);
  if (!names.ok()) return out;
  for (const std::string& name : *names) {
    if (name.size() == 26 && name.rfind("log-", 0) == 0 && name.ends_with(".omlog")) {
      char* end = nullptr;
      uint64_t n = std::strtoull(name.c_str() + 4, &end, 16);
      if (end == name.c_str() + 20) out.push_back(n);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
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

Result<ReadStats> ReadLog(Env& env, const std::string& dir, LogPosition from,
                          const std::function<void(std::string_view, LogPosition)>& fn) {
  ReadStats stats;
  std::vector<uint64_t> segments = ListSegments(env, dir);
  for (size_t i = 0; i < segments.size(); ++i) {
    uint64_t seg = segments[i];
    if (seg < from.segment) continue;
    std::string path = dir + "/" + SegmentFileName(seg);
    OM_ASSIGN_OR_RETURN(std::string data, env.ReadFile(path));
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

ReportLog::ReportLog(LogOptions options) : options_(std::move(options)), env_(*options_.env) {}

ReportLog::~ReportLog() = default;

std::string ReportLog::SegmentPath(uint64_t segment) const {
  return options_.dir + "/" + SegmentFileName(segment);
}

Result<std::unique_ptr<ReportLog>> ReportLog::Open(const LogOptions& options,
                                                   uint64_t* truncated_bytes) {
  Env& env = *options.env;
  OM_RETURN_IF_ERROR(env.CreateDirs(options.dir));
  std::unique_ptr<ReportLog> log(new ReportLog(options));
  std::vector<uint64_t> segments = ListSegments(env, options.dir);
  if (truncated_bytes) *truncated_bytes = 0;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    log->closed_bytes_ += env.FileSize(log->SegmentPath(segments[i])).value_or(0);
  }
  if (segments.empty()) {
    OM_RETURN_IF_ERROR(log->OpenSegment(1, /*create=*/true));
    return log;
  }
  uint64_t last = segments.back();
  std::string path = log->SegmentPath(last);
  OM_ASSIGN_OR_RETURN(std::string data, env.ReadFile(path));
  ScanResult scan = ScanSegment(data, 0, nullptr);
  uint64_t keep = scan.good_end;
  if (keep < kLogHeaderBytes) keep = 0;  // torn header: rewrite it
  if (keep < data.size()) {
    OM_LOG(kWarning) << "report log " << path << ": truncating torn tail of "
                     << (data.size() - keep) << " bytes at offset " << keep;
    OM_RETURN_IF_ERROR(env.TruncateFile(path, keep));
    if (truncated_bytes) *truncated_bytes = data.size() - keep;
  }
  OM_RETURN_IF_ERROR(log->OpenSegment(last, /*create=*/keep == 0));
  return log;
}

Status ReportLog::OpenSegment(uint64_t segment, bool create) {
  OM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                      env_.OpenForAppend(SegmentPath(segment), /*truncate=*/create));
  if (create) {
    Status header = file->Append(std::string_view(kMagic, kLogHeaderBytes));
    if (!header.ok()) {
      // Leave no headerless file behind: the next Open would take it for a torn segment anyway,
      // but a retry of this roll-over starts from an empty file.
      (void)file->Truncate(0);
      return header.WithPrefix("report log header");
    }
    dir_dirty_ = true;
  }
  if (file_) closed_bytes_ += offset_;
  file_ = std::move(file);
  segment_ = segment;
  offset_ = file_->Size();
  return Status::Ok();
}

Status ReportLog::Append(std::string_view framed) {
  if (!broken_.ok()) return broken_;
  if (offset_ + framed.size() > options_.segment_bytes && offset_ > kLogHeaderBytes) {
    // Records never straddle segments: finish the old one durably before starting the next.
    OM_RETURN_IF_ERROR(Sync());
    OM_RETURN_IF_ERROR(OpenSegment(segment_ + 1, /*create=*/true));
  }
  const uint64_t start = offset_;
  Status s = file_->Append(framed);
  if (!s.ok()) {
    // Cut whatever part of the batch reached the file, so a later append starts on a boundary.
    Status cut = CutTo(start);
    return cut.ok() ? s : cut;
  }
  last_append_start_ = {segment_, start};
  offset_ = file_->Size();
  return Status::Ok();
}

Status ReportLog::UndoLastAppend() {
  if (!broken_.ok()) return broken_;
  OM_CHECK(last_append_start_.segment == segment_) << "nothing appended to this segment";
  return CutTo(last_append_start_.offset);
}

Status ReportLog::CutTo(uint64_t offset) {
  Status cut = file_->Truncate(offset);
  if (!cut.ok()) {
    Break(Status::Unavailable("report log: cannot cut a failed write (" + cut.message() +
                              "); restart the server to recover the log"));
    return broken_;
  }
  offset_ = offset;
  return Status::Ok();
}

void ReportLog::Break(Status why) {
  if (!broken_.ok()) return;
  OM_LOG(kError) << why.message();
  broken_ = std::move(why);
}

Status ReportLog::Sync() {
  if (!broken_.ok()) return broken_;
  Status s = file_->Sync();
  if (s.ok() && dir_dirty_) {
    s = env_.SyncDir(options_.dir);
    if (s.ok()) dir_dirty_ = false;
  }
  if (!s.ok() && options_.acknowledged_before_sync) {
    // Appending more would hide that acknowledged records may be gone.
    Break(Status::Unavailable("report log: " + s.message() +
                              "; reports acknowledged since the last sync may be lost, and "
                              "writes are refused until the server is restarted"));
    return broken_;
  }
  return s;
}

std::vector<uint64_t> ReportLog::segments() const { return ListSegments(env_, options_.dir); }

Status ReportLog::DropSegmentsBefore(uint64_t segment) {
  for (uint64_t s : ListSegments(env_, options_.dir)) {
    if (s >= segment || s >= segment_) break;
    std::string path = SegmentPath(s);
    uint64_t size = env_.FileSize(path).value_or(0);
    OM_RETURN_IF_ERROR(env_.RemoveFile(path));
    closed_bytes_ -= std::min(closed_bytes_, size);
  }
  return Status::Ok();
}

}  // namespace om::store
