// ProcessMutex: a process-local mutex that both clang's -Wthread-safety and
// ThreadSanitizer understand.
//
// Why not absl::Mutex: Debian's libabsl is not built with TSan, and
// absl::Mutex's lock and unlock are out-of-line in that library, so TSan
// never sees the happens-before edges they create and reports false races
// on everything they guard. std::mutex goes through pthread, which TSan
// intercepts; this wrapper adds the capability annotations std::mutex lacks.
//
// Thread-safe. Not for shared memory (use SeqLock there).
#ifndef CAIRN_ENGINE_CACHE_PROCESS_MUTEX_H_
#define CAIRN_ENGINE_CACHE_PROCESS_MUTEX_H_

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace cairn::cache {

class ABSL_LOCKABLE ProcessMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Tells the analysis the caller holds the lock (not checked at run time).
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  std::mutex mu_;
};

class ABSL_SCOPED_LOCKABLE ProcessMutexLock {
 public:
  explicit ProcessMutexLock(ProcessMutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
  }
  ~ProcessMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  ProcessMutexLock(const ProcessMutexLock&) = delete;
  ProcessMutexLock& operator=(const ProcessMutexLock&) = delete;

 private:
  ProcessMutex* const mu_;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_PROCESS_MUTEX_H_
