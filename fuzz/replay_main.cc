// Replays fuzz inputs without libFuzzer: linked with one <target>_fuzz.cc in normal builds, it runs
// LLVMFuzzerTestOneInput on every file under the directories (recursively) or files given as
// arguments, in sorted order, and prints how many ran. README.md files are skipped.
//
// Usage: <target>_replay CORPUS_DIR [MORE_DIRS_OR_FILES...]
// Exit status: 0 when every input ran; 1 when an argument does not exist, a file cannot be read, or
// the first argument (the corpus) holds no input. A failing property aborts the process.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool IsInput(const fs::path& path) { return path.filename() != "README.md"; }

// Appends the input files at `root` (a file or a directory tree). False when `root` is missing.
bool Collect(const fs::path& root, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    out.push_back(root);
    return true;
  }
  if (!fs::is_directory(root, ec)) return false;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && IsInput(it->path())) out.push_back(it->path());
  }
  return !ec;
}

bool ReadFile(const fs::path& path, std::vector<uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MORE_DIRS_OR_FILES...]\n", argv[0]);
    return 1;
  }
  size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files;
    if (!Collect(argv[i], files)) {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
      return 1;
    }
    if (i == 1 && files.empty()) {
      std::fprintf(stderr, "replay: corpus %s holds no inputs\n", argv[i]);
      return 1;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::vector<uint8_t> bytes;
      if (!ReadFile(file, bytes)) {
        std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
        return 1;
      }
      // Print before running, so a crash names its input.
      std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
    std::printf("replay: ran %zu inputs from %s\n", files.size(), argv[i]);
    total += files.size();
  }
  std::printf("replay: ran %zu inputs in total\n", total);
  return 0;
}
