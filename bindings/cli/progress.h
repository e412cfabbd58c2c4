// A progress bar on stderr: "label [#####.....]  45%  4500/10000  3.1k/s
// ETA 0:02". Drawn only when enabled (the tool enables it when stderr is a
// terminal), at most ten times a second; otherwise every call is a no-op,
// so scripts and logs see nothing. Not thread-safe: one caller.
#ifndef CAIRN_BINDINGS_CLI_PROGRESS_H_
#define CAIRN_BINDINGS_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace cairn::cli {

class Progress {
 public:
  // total 0: unknown (no bar, percentage or ETA).
  Progress(std::string label, uint64_t total, bool enabled);
  ~Progress();
  void set_total(uint64_t total) { total_ = total; }
  void Update(uint64_t done);
  // Draws the final state and ends the line.
  void Finish();

 private:
  void Draw(uint64_t done);

  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool finished_ = false;
  uint64_t done_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace cairn::cli

#endif  // CAIRN_BINDINGS_CLI_PROGRESS_H_
