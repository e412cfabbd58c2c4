// RouteLock: a big-reader lock guarding which ring a cache operation uses.
//
// Every cache operation (a get with its fill, a write's cache update, one
// migration move) holds a read side for its whole duration, so a ring change
// — which takes the write side to swap the route — never overlaps an
// operation that uses the old route. After WriterUnlock, no operation holds
// the old route: its instances can be freed.
//
// Readers lock one of kSlots pthread rwlocks, picked once per thread, so
// reader threads do not bounce one lock word between cores; the writer
// locks all slots. The rwlocks prefer writers, so a ring change is not
// starved by a stream of readers. pthread locks (not absl::Mutex) so that
// ThreadSanitizer sees them. Read sides must not nest in one thread.
#ifndef CAIRN_ENGINE_RING_ROUTE_LOCK_H_
#define CAIRN_ENGINE_RING_ROUTE_LOCK_H_

#include <pthread.h>

#include <atomic>

#include "absl/base/thread_annotations.h"
#include "engine/thread_shard.h"

namespace cairn::ring {

class ABSL_LOCKABLE RouteLock {
 public:
  RouteLock() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    for (Slot& s : slots_) pthread_rwlock_init(&s.lock, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~RouteLock() {
    for (Slot& s : slots_) pthread_rwlock_destroy(&s.lock);
  }
  RouteLock(const RouteLock&) = delete;
  RouteLock& operator=(const RouteLock&) = delete;

  // Returns the slot to pass to ReaderUnlock.
  int ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
    const int slot = ThreadSlot();
    pthread_rwlock_rdlock(&slots_[slot].lock);
    return slot;
  }
  void ReaderUnlock(int slot) ABSL_UNLOCK_FUNCTION() {
    pthread_rwlock_unlock(&slots_[slot].lock);
  }
  void WriterLock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    for (Slot& s : slots_) pthread_rwlock_wrlock(&s.lock);
  }
  void WriterUnlock() ABSL_UNLOCK_FUNCTION() {
    for (int i = kSlots - 1; i >= 0; --i)
      pthread_rwlock_unlock(&slots_[i].lock);
  }

 private:
  static constexpr int kSlots = 16;
  struct alignas(64) Slot {
    pthread_rwlock_t lock;
  };
  static int ThreadSlot() { return ThreadShard<kSlots>(); }
  Slot slots_[kSlots];
};

}  // namespace cairn::ring

#endif  // CAIRN_ENGINE_RING_ROUTE_LOCK_H_
