#include "server/line_reader.h"

#include <sys/stat.h>
#include <zlib.h>

namespace om::server {

Result<std::unique_ptr<LineReader>> LineReader::Open(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::NotFound(path + ": cannot open");
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return Status::NotFound(path + ": cannot open");
  gzbuffer(file, 1 << 20);
  return std::unique_ptr<LineReader>(new LineReader(path, file, static_cast<uint64_t>(st.st_size)));
}

LineReader::LineReader(std::string path, void* file, uint64_t size)
    : path_(std::move(path)), file_(file), size_(size) {}

LineReader::~LineReader() { gzclose(static_cast<gzFile>(file_)); }

bool LineReader::Next(std::string& line) {
  line.clear();
  char buf[1 << 16];
  bool got = false;
  while (gzgets(static_cast<gzFile>(file_), buf, sizeof buf) != nullptr) {
    got = true;
    line += buf;
    if (!line.empty() && line.back() == '\n') break;
  }
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return got;
}

Status LineReader::status() const {
  int error = 0;
  const char* message = gzerror(static_cast<gzFile>(file_), &error);
  if (error != Z_OK && error != Z_STREAM_END) return Status::IoError(path_ + ": " + message);
  return Status::Ok();
}

uint64_t LineReader::offset() const {
  return static_cast<uint64_t>(gzoffset(static_cast<gzFile>(file_)));
}

}  // namespace om::server
