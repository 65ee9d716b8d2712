#pragma once
// Env: the file-system calls of the durable parts of outagemap (the report log, the store's
// snapshot and lock), behind one interface, as LevelDB's Env. Production code uses
// Env::Default(), which calls POSIX directly; tests wrap it (EnvWrapper) to fail or delay a
// write or an fdatasync, run out of disk or tear a write (testing/fault_injecting_env.h), and
// check that no acknowledged report is lost.
//
// Every error is a Status of kIoError whose message names the call and the path
// ("fdatasync /data/log/log-0000000000000001.omlog: Input/output error"); a full disk is
// kResourceExhausted, so that callers can say so.
//
// Thread-safety: Env::Default() may be used from any thread. A WritableFile is used by one
// thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace om {

// A file open for appending. Closed (without a sync) when destroyed.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends all of `data` (retrying short writes). On error some prefix of `data` may have
  // reached the file: Size() tells how much, and Truncate() can cut it.
  virtual Status Append(std::string_view data) = 0;
  // fdatasync(2): what was appended survives power loss once this returns Ok.
  virtual Status Sync() = 0;
  // Cuts the file to `size` bytes (ftruncate(2)); appends continue at the new end.
  virtual Status Truncate(uint64_t size) = 0;
  // The file's size as this object wrote it: its size when opened plus what Append wrote.
  virtual uint64_t Size() const = 0;
  virtual const std::string& path() const = 0;
};

// Held while a data dir is in use; releasing it (destroying it) unlocks.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;
  // The process-wide POSIX Env. Never destroyed.
  static Env* Default();

  // Opens `path` for appending; creates it when missing, and empties it first when `truncate`.
  virtual Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path,
                                                              bool truncate) = 0;
  // The whole content of `path`. kNotFound when it does not exist.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Seconds since the epoch of the last modification.
  virtual Result<int64_t> ModifiedSeconds(const std::string& path) = 0;
  // The names (not paths) of the entries of `dir`; empty when it does not exist.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // mkdir -p.
  virtual Status CreateDirs(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // rename(2): atomic replacement of `to`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // fsync(2) of a directory, so that a file created, renamed or removed in it stays so.
  virtual Status SyncDir(const std::string& dir) = 0;
  // An exclusive advisory lock (flock(2)) on `path`, created when missing. kUnavailable when
  // another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// Forwards every call to another Env; a test overrides only what it changes.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path,
                                                      bool truncate) override {
    return target_->OpenForAppend(path, truncate);
  }
  Result<std::string> ReadFile(const std::string& path) override { return target_->ReadFile(path); }
  Result<uint64_t> FileSize(const std::string& path) override { return target_->FileSize(path); }
  Result<int64_t> ModifiedSeconds(const std::string& path) override {
    return target_->ModifiedSeconds(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return target_->ListDir(dir);
  }
  Status CreateDirs(const std::string& dir) override { return target_->CreateDirs(dir); }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return target_->TruncateFile(path, size);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return target_->LockFile(path);
  }

 private:
  Env* const target_;
};

// Writes `data` to `path` so that a crash leaves either the old file or the new one: a temporary
// file beside it, fdatasync, rename over `path`, fsync of the directory.
Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data);

// Creates the data directory `dir` if needed and takes its <dir>/LOCK, held until the returned
// lock is destroyed: one process per data dir, since a second writer would interleave its
// records with ours. kUnavailable ("data dir ... is in use by another outagemap process") when
// another process holds it.
Result<std::unique_ptr<FileLock>> LockDataDir(Env& env, const std::string& dir);

}  // namespace om
