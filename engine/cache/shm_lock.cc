#include "engine/cache/shm_lock.h"

#include <sched.h>
#include <signal.h>

#include <cerrno>
#include <chrono>

#include "absl/strings/str_format.h"

namespace cairn::cache {

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  return kill(pid, 0) == 0 || errno == EPERM;
}

absl::Status SeqLock::Lock(std::atomic<uint32_t>& word, uint32_t timeout_ms,
                           pid_t owner_pid) {
  for (int i = 0; i < 128; ++i) {
    if (TryLock(word)) return absl::OkStatus();
    CpuRelax();
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (TryLock(word)) return absl::OkStatus();
      sched_yield();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  return absl::DeadlineExceededError(absl::StrFormat(
      "cache bucket lock not released within %d ms (segment owner pid %d %s)",
      timeout_ms, owner_pid, ProcessAlive(owner_pid) ? "is alive" : "is dead"));
}

}  // namespace cairn::cache
