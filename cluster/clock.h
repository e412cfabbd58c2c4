// Clock: where the cluster client reads the time it keeps failure tags,
// their expiry and the load-refresh schedule by (SPEC C3, C4). Tests pass a
// fake one and step it; production uses RealClock(). Transport deadlines and
// the background thread's waits always use real time (a socket cannot wait
// on a fake clock).
//
// Implementations must be thread-safe.
#ifndef CAIRN_CLUSTER_CLOCK_H_
#define CAIRN_CLUSTER_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cairn::cluster {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

// absl::Now(); a process-wide instance that is never destroyed.
Clock* RealClock();

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_CLOCK_H_
