#include "bindings/cli/progress.h"

#include <stdio.h>

#include <algorithm>
#include <utility>

namespace cairn::cli {
namespace {

std::string Rate(double per_sec) {
  char buf[32];
  if (per_sec >= 1e6) {
    snprintf(buf, sizeof buf, "%.1fM/s", per_sec / 1e6);
  } else if (per_sec >= 1e3) {
    snprintf(buf, sizeof buf, "%.1fk/s", per_sec / 1e3);
  } else {
    snprintf(buf, sizeof buf, "%.0f/s", per_sec);
  }
  return buf;
}

}  // namespace

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done);
}

void Progress::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  Draw(done_);
  fputc('\n', stderr);
}

void Progress::Draw(uint64_t done) {
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  double rate = secs > 0 ? done / secs : 0;
  std::string line = "\r" + label_;
  char buf[128];
  if (total_ > 0) {
    constexpr int kWidth = 24;
    uint64_t shown = std::min(done, total_);
    int filled = static_cast<int>(kWidth * shown / total_);
    line += " [" + std::string(filled, '#') +
            std::string(kWidth - filled, '.') + "]";
    snprintf(buf, sizeof buf, " %3d%%  %llu/%llu",
             static_cast<int>(100 * shown / total_),
             static_cast<unsigned long long>(done),
             static_cast<unsigned long long>(total_));
    line += buf;
  } else {
    snprintf(buf, sizeof buf, "  %llu", static_cast<unsigned long long>(done));
    line += buf;
  }
  line += "  " + Rate(rate);
  if (total_ > 0 && rate > 0 && done < total_) {
    uint64_t eta = static_cast<uint64_t>((total_ - done) / rate);
    snprintf(buf, sizeof buf, "  ETA %llu:%02llu",
             static_cast<unsigned long long>(eta / 60),
             static_cast<unsigned long long>(eta % 60));
    line += buf;
  }
  line += "\x1b[K";  // clear the rest of the line
  fputs(line.c_str(), stderr);
  fflush(stderr);
}

}  // namespace cairn::cli
