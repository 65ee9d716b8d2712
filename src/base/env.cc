#include "base/env.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace om {
namespace {

// ENOSPC and EDQUOT say the disk is full: a condition an operator fixes, not a broken disk.
Status PosixError(std::string_view call, const std::string& path, int error_number) {
  std::string message = std::string(call) + " " + path + ": " + ErrnoText(error_number);
  if (error_number == ENOSPC || error_number == EDQUOT) {
    return Status::ResourceExhausted(std::move(message));
  }
  if (error_number == ENOENT) return Status::NotFound(std::move(message));
  return Status::IoError(std::move(message));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixWritableFile() override { ::close(fd_); }
  PosixWritableFile(const PosixWritableFile&) = delete;
  PosixWritableFile& operator=(const PosixWritableFile&) = delete;

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      size_ += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return PosixError("ftruncate", path_, errno);
    }
    size_ = size;
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  const std::string path_;
  const int fd_;
  uint64_t size_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock
  PosixFileLock(const PosixFileLock&) = delete;
  PosixFileLock& operator=(const PosixFileLock&) = delete;

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> OpenForAppend(const std::string& path,
                                                      bool truncate) override {
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      Status s = PosixError("stat", path, errno);
      ::close(fd);
      return s;
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size)));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    std::string data;
    char buffer[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = PosixError("read", path, errno);
        ::close(fd);
        return s;
      }
      if (n == 0) break;
      data.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return data;
  }

  Result<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Result<int64_t> ModifiedSeconds(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<int64_t>(st.st_mtim.tv_sec);
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    // std::filesystem rather than readdir, which clang-tidy's concurrency check refuses and whose
    // errors are easy to miss; the iterator skips "." and "..".
    std::vector<std::string> names;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) {
      if (ec.value() == ENOENT) return names;
      return PosixError("opendir", dir, ec.value());
    }
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    if (ec) return PosixError("readdir", dir, ec.value());
    return names;
  }

  Status CreateDirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IoError("create " + dir + ": " + ec.message());
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::Ok();
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return PosixError("truncate", path, errno);
    }
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError("rename", from, errno);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", dir, errno);
    int rc = ::fsync(fd);
    int error_number = errno;
    ::close(fd);
    if (rc != 0) return PosixError("fsync", dir, error_number);
    return Status::Ok();
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open", path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int error_number = errno;
      ::close(fd);
      if (error_number == EWOULDBLOCK) {
        return Status::Unavailable(path + " is locked by another process");
      }
      return PosixError("flock", path, error_number);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

Env* Env::Default() {
  static Env* const kPosixEnv = new PosixEnv;
  return kPosixEnv;
}

Result<std::unique_ptr<FileLock>> LockDataDir(Env& env, const std::string& dir) {
  OM_RETURN_IF_ERROR(env.CreateDirs(dir));
  Result<std::unique_ptr<FileLock>> lock = env.LockFile(dir + "/LOCK");
  if (!lock.ok() && lock.status().code() == StatusCode::kUnavailable) {
    return Status::Unavailable("data dir " + dir + " is in use by another outagemap process");
  }
  return lock;
}

Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  {
    OM_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env.OpenForAppend(tmp, true));
    OM_RETURN_IF_ERROR(file->Append(data));
    OM_RETURN_IF_ERROR(file->Sync());
  }
  OM_RETURN_IF_ERROR(env.RenameFile(tmp, path));
  // Make the rename itself durable before anything relies on the new file.
  return env.SyncDir(std::filesystem::path(path).parent_path().string());
}

}  // namespace om
