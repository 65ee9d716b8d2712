#pragma once
// TempDir: a fresh directory under $TMPDIR (or /tmp) removed with its contents on destruction.

#include <filesystem>
#include <string>

namespace om::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace om::testing
