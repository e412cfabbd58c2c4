#include "replication/ack_waiters.h"

#include <algorithm>

namespace cairn::replication {

AckWaiters::Outcome AckWaiters::Wait(absl::FunctionRef<bool()> satisfied,
                                     absl::Time recheck_by) {
  MutexLock lock(&mu_);
  if (satisfied()) return Outcome::kSatisfied;
  Waiter w(satisfied);
  waiters_.push_back(&w);
  Outcome outcome = Outcome::kRecheck;
  for (;;) {
    const bool passed = w.cv.WaitWithDeadline(&mu_, recheck_by);
    if (satisfied()) {
      outcome = Outcome::kSatisfied;
      break;
    }
    if (w.woken || passed) break;  // WakeAll, or time to look again
    futile_wakeups_.fetch_add(1, std::memory_order_relaxed);  // spurious
  }
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &w));
  return outcome;
}

void AckWaiters::Notify() {
  MutexLock lock(&mu_);
  for (Waiter* w : waiters_) {
    if (!w->woken && w->satisfied()) {
      w->woken = true;
      w->cv.Signal();
    }
  }
}

void AckWaiters::WakeAll() {
  MutexLock lock(&mu_);
  for (Waiter* w : waiters_) {
    w->woken = true;
    w->cv.Signal();
  }
}

}  // namespace cairn::replication
