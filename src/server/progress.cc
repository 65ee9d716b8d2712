#include "server/progress.h"

#include <algorithm>
#include <cstdio>

namespace om::server {

std::string HumanCount(double n) {
  char buf[32];
  if (n >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.1fG", n / 1e9);
  } else if (n >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  } else if (n >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.0fk", n / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", n);
  }
  return buf;
}

ProgressBar::ProgressBar(uint64_t total_bytes, std::string label, bool enabled)
    : total_(std::max<uint64_t>(total_bytes, 1)),
      label_(std::move(label)),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::Update(uint64_t done_bytes, uint64_t items) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done_bytes, items);
}

void ProgressBar::Finish(uint64_t items) {
  if (!enabled_) return;
  Draw(total_, items);
  std::fputc('\n', stderr);
}

void ProgressBar::Draw(uint64_t done_bytes, uint64_t items) {
  constexpr int kWidth = 30;
  double fraction = std::min(1.0, static_cast<double>(done_bytes) / static_cast<double>(total_));
  int filled = static_cast<int>(fraction * kWidth);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0 ? static_cast<double>(items) / seconds : 0;
  double eta = fraction > 0 ? seconds * (1 - fraction) / fraction : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '.');
  std::fprintf(stderr, "\r%s [%s] %3.0f%%  %s reports  %s/s  eta %.0fs   ", label_.c_str(),
               bar.c_str(), fraction * 100, HumanCount(static_cast<double>(items)).c_str(),
               HumanCount(rate).c_str(), eta);
  std::fflush(stderr);
}

}  // namespace om::server
