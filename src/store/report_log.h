#pragma once
// ReportLog is the durable, append-only, segmented log of reports (format:
// docs/formats/report-log.md). Records are CRC-32C framed; segments are files
// `<dir>/log-<16 hex digits>.omlog` that roll over at `segment_bytes`.
//
// Durability: Append() hands bytes to the kernel with write(2), so an appended record survives a
// kill -9 of the process; it survives power loss only after Sync() (fdatasync). The caller (the
// store writer) decides when to Sync, per the fsync policy.
//
// Recovery: Open() scans the newest segment and truncates a torn tail (a partial or CRC-failing
// last record) so appends continue after the last good record; a torn tail is never fatal.
//
// Thread-safety: not thread-safe. One writer thread owns a ReportLog. ReadLog() may run in any
// thread or process concurrently with the writer; it sees a prefix of what was appended.

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "base/status.h"

namespace om::store {

struct LogPosition {
  uint64_t segment = 0;  // segment number (file name), 0 = before the first segment
  uint64_t offset = 0;   // byte offset within the segment
  auto operator<=>(const LogPosition&) const = default;
};

struct LogOptions {
  // Directory that holds the segment files; created if missing.
  std::string dir;
  // A segment is closed and a new one started once it reaches this size (bytes).
  uint64_t segment_bytes = 64ull << 20;
  // Every file call goes through it (tests inject faults); borrowed, must outlive the log.
  Env* env = Env::Default();
  // Set when records are acknowledged before they are synced (the store's fsync `interval`): a
  // failed Sync may then have lost acknowledged records, and it breaks the log (see Append).
  bool acknowledged_before_sync = false;
};

inline constexpr size_t kLogHeaderBytes = 8;     // "OMRLOG01"
inline constexpr size_t kRecordHeaderBytes = 8;  // masked CRC-32C (4) + payload length (4)
inline constexpr size_t kMaxRecordPayload = 64 << 10;

// Appends one framed record (header + payload) to `out`.
// REQUIRES: payload.size() <= kMaxRecordPayload.
void FrameRecord(std::string_view payload, std::string& out);

struct ReadStats {
  uint64_t records = 0;
  uint64_t corrupt_bytes_skipped = 0;  // bytes after a bad record in a non-final segment
};

// Calls `fn(payload, next)` for every good record at or after `from`, in log order; `next` is the
// position just after the record. A bad record in a segment that is followed by a newer segment
// skips the rest of that segment (counted in corrupt_bytes_skipped); a bad record in the newest
// segment ends the read (it is a torn tail). Returns kIoError when a file cannot be read.
Result<ReadStats> ReadLog(
    Env& env, const std::string& dir, LogPosition from,
    const std::function<void(std::string_view payload, LogPosition next)>& fn);
// The same through Env::Default().
inline Result<ReadStats> ReadLog(
    const std::string& dir, LogPosition from,
    const std::function<void(std::string_view payload, LogPosition next)>& fn) {
  return ReadLog(*Env::Default(), dir, from, fn);
}

class ReportLog {
 public:
  // Opens or creates the log in options.dir and truncates a torn tail. `truncated_bytes` (if
  // non-null) receives how many bytes were cut. Errors: kIoError naming the path.
  static Result<std::unique_ptr<ReportLog>> Open(const LogOptions& options,
                                                 uint64_t* truncated_bytes = nullptr);
  ~ReportLog();
  ReportLog(const ReportLog&) = delete;
  ReportLog& operator=(const ReportLog&) = delete;

  // Writes already framed records (one or more FrameRecord outputs) with as few write(2) calls as
  // possible, rolling to a new segment first if the current one is full. Records never straddle
  // segments. On a failed write the part that reached the file is cut again, so the log stays
  // usable and the caller must not ack the batch; the error is kIoError, or kResourceExhausted
  // when the disk is full. When even the cut fails the log is broken: this and every later
  // Append and Sync fail with kUnavailable, and a restart recovers (it truncates the torn tail).
  Status Append(std::string_view framed);
  // fdatasync of the current segment (and the directory after a roll-over). A failure breaks the
  // log when options.acknowledged_before_sync.
  Status Sync();
  // Cuts off what the last successful Append wrote, for a batch whose Sync failed: after a failed
  // fdatasync nobody knows what reached the disk, and a batch that was not acknowledged must not
  // come back at the next restart. Breaks the log (see Append) when the cut fails.
  Status UndoLastAppend();
  // Refuses every later Append and Sync with `why` (kUnavailable): for a failure after which
  // appending more would hide a loss, such as a failed fdatasync of acknowledged records.
  void Break(Status why);
  // Why the log is broken; Ok while it is usable.
  const Status& broken() const { return broken_; }

  // The position after the last appended record.
  LogPosition end() const { return {segment_, offset_}; }
  const std::string& dir() const { return options_.dir; }
  // Total bytes of all segment files.
  uint64_t bytes_on_disk() const { return closed_bytes_ + offset_; }
  // Segment numbers present, oldest first, including the current one.
  std::vector<uint64_t> segments() const;
  // Deletes every closed segment numbered below `segment` (retention). Never deletes the current.
  Status DropSegmentsBefore(uint64_t segment);

 private:
  explicit ReportLog(LogOptions options);
  Status OpenSegment(uint64_t segment, bool create);
  // Truncates the current segment to `offset`; breaks the log when that fails.
  Status CutTo(uint64_t offset);

  std::string SegmentPath(uint64_t segment) const;

  LogOptions options_;
  Env& env_;
  std::unique_ptr<WritableFile> file_;
  Status broken_;
  LogPosition last_append_start_;
  uint64_t segment_ = 0;
  uint64_t offset_ = 0;
  uint64_t closed_bytes_ = 0;
  bool dir_dirty_ = false;
};

// File name of a segment, e.g. "log-0000000000000001.omlog".
std::string SegmentFileName(uint64_t segment);

}  // namespace om::store
