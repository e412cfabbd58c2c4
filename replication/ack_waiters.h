// AckWaiters: sync writers waiting for their acknowledgements, each on its
// own condition variable, so that an acknowledgement wakes only the writers
// it satisfies.
//
// With many sync writers, one shared condition variable woke all of them on
// every acknowledgement, each to find its sequence not yet covered and sleep
// again; on a small machine those futile wakeups cost more than the round
// trip. Here Notify() runs every waiter's predicate (cheap: atomic loads)
// under the lock and signals only those that hold.
//
// Thread-safe.
#ifndef CAIRN_REPLICATION_ACK_WAITERS_H_
#define CAIRN_REPLICATION_ACK_WAITERS_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "engine/mutex.h"

namespace cairn::replication {

class AckWaiters {
 public:
  // Why Wait() returned.
  enum class Outcome {
    kSatisfied,  // the predicate holds
    kRecheck,    // woken by WakeAll(), or `recheck_by` passed: look again
  };

  // Until `satisfied()` holds, WakeAll() is called or `recheck_by` passes.
  // `satisfied` must be cheap, must not block, and must become true only
  // through state whose change is followed by Notify().
  Outcome Wait(absl::FunctionRef<bool()> satisfied, absl::Time recheck_by)
      ABSL_LOCKS_EXCLUDED(mu_);

  // State changed (an acknowledgement arrived): wakes the waiters whose
  // predicate now holds, and only them.
  void Notify() ABSL_LOCKS_EXCLUDED(mu_);
  // Wakes every waiter (peers removed, stopping, tags changed).
  void WakeAll() ABSL_LOCKS_EXCLUDED(mu_);

  // Wakeups of a waiter that was neither satisfied, nor woken by WakeAll,
  // nor past its recheck time (spurious): near zero, since Notify() signals
  // only satisfied waiters.
  uint64_t futile_wakeups() const {
    return futile_wakeups_.load(std::memory_order_relaxed);
  }

 private:
  struct Waiter {
    explicit Waiter(absl::FunctionRef<bool()> f) : satisfied(f) {}
    absl::FunctionRef<bool()> satisfied;
    bool woken = false;  // signalled since it last went to sleep
    CondVar cv;
  };

  Mutex mu_;
  std::vector<Waiter*> waiters_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> futile_wakeups_{0};
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_ACK_WAITERS_H_
