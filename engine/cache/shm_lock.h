// SeqLock: a writer lock and an optimistic read protocol on one 32-bit word
// in shared memory (a bucket's `seq`).
//
// Writers make the word odd with a CAS and even again (one higher) on
// release, so the word also counts writes. Readers never write: they read
// the word, read the data with relaxed atomics, then check that the word is
// unchanged and even; otherwise they retry (or give up: a cache miss is
// always a correct answer).
//
// Liveness: Boost 1.74 has no robust mutex, and a process killed while
// holding this lock leaves the word odd forever. So every wait is bounded:
// writers give up after a timeout and report whether the segment's owner
// process is still alive (the lock word stores no pid: a segment has a
// single owner at a time, recorded in its header, and a dead owner's segment
// is rebuilt at the next Open rather than unlocked in place); readers give
// up after a short bounded spin.
//
// Thread-safe; callable from any thread of the owning process.
#ifndef CAIRN_ENGINE_CACHE_SHM_LOCK_H_
#define CAIRN_ENGINE_CACHE_SHM_LOCK_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace cairn::cache {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

class SeqLock {
 public:
  // Acquires without waiting; false if held.
  static bool TryLock(std::atomic<uint32_t>& word) {
    uint32_t s = word.load(std::memory_order_relaxed);
    if ((s & 1) != 0) return false;
    if (!word.compare_exchange_strong(s, s + 1, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
      return false;
    }
    // Orders the data stores that follow after the odd word (Boehm's
    // seqlock writer), pairing with the reader's acquire fence.
    std::atomic_thread_fence(std::memory_order_release);
    return true;
  }

  // Acquires, spinning then yielding; DeadlineExceeded after timeout_ms. The
  // message says whether `owner_pid` (the segment's recorded owner) is alive.
  [[nodiscard]] static absl::Status Lock(std::atomic<uint32_t>& word,
                                         uint32_t timeout_ms, pid_t owner_pid);

  static void Unlock(std::atomic<uint32_t>& word) {
    word.store(word.load(std::memory_order_relaxed) + 1,
               std::memory_order_release);
  }

  // Reader side. Returns the even word to validate against, or an odd value
  // if a writer holds the lock (the caller retries).
  static uint32_t ReadBegin(const std::atomic<uint32_t>& word) {
    return word.load(std::memory_order_acquire);
  }
  static bool ReadValidate(const std::atomic<uint32_t>& word, uint32_t begin) {
    std::atomic_thread_fence(std::memory_order_acquire);
    return word.load(std::memory_order_relaxed) == begin;
  }
};

// True if a process with this pid exists (kill(pid, 0); EPERM counts as
// alive).
bool ProcessAlive(pid_t pid);

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SHM_LOCK_H_
