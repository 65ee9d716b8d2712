#pragma once
// LineReader reads a text file line by line, plain or gzip-compressed (zlib detects which), for
// the import and backtest commands. Lines come without their trailing "\n" or "\r\n".
//
// Thread-safety: none; one reader per command.

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace om::server {

class LineReader {
 public:
  // kNotFound when `path` cannot be opened, naming it.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Reads the next line into `line`; false at the end of the file or on an error (see status()).
  bool Next(std::string& line);
  // OK, or kIoError naming the file when reading failed (e.g. a truncated gzip stream).
  Status status() const;
  // Bytes of the file consumed so far, and the file's size: for progress bars.
  uint64_t offset() const;
  uint64_t size() const { return size_; }

 private:
  LineReader(std::string path, void* file, uint64_t size);
  std::string path_;
  void* file_;  // gzFile, kept opaque so zlib.h stays in line_reader.cc
  uint64_t size_;
};

}  // namespace om::server
