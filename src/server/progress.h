#pragma once
// ProgressBar draws "import [#########.........] 45%  1.2M reports  850k/s  eta 12s" on stderr
// when it is a terminal, redrawing at most 10 times a second; when disabled it prints nothing.

#include <chrono>
#include <cstdint>
#include <string>

namespace om::server {

class ProgressBar {
 public:
  ProgressBar(uint64_t total_bytes, std::string label, bool enabled);
  // `done_bytes` of the input consumed, `items` processed so far.
  void Update(uint64_t done_bytes, uint64_t items);
  // Draws 100% and ends the line.
  void Finish(uint64_t items);

 private:
  void Draw(uint64_t done_bytes, uint64_t items);
  uint64_t total_;
  std::string label_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1.2M", "850k", "12".
std::string HumanCount(double n);

}  // namespace om::server
