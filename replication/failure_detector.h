// FailureDetector: SPEC C3 for one remote node.
//
// One counter per node, shared by failed operations (an error reply, a bad
// frame, a timeout, a failed send or connect) and failed heartbeats. When it
// passes the threshold the node is tagged failed for the validity period.
// Heartbeats go to tagged and untagged nodes alike: a good reply removes the
// tag and resets the counter; a bad one counts. When the tag expires the
// node is tried again with a fresh counter.
//
// Time is passed in (absl::Time), so tests drive it with a fake clock.
// Thread-safe.
#ifndef CAIRN_REPLICATION_FAILURE_DETECTOR_H_
#define CAIRN_REPLICATION_FAILURE_DETECTOR_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "engine/mutex.h"
#include "absl/time/time.h"

namespace cairn::replication {

class FailureDetector {
 public:
  FailureDetector(uint64_t threshold, absl::Duration validity)
      : threshold_(threshold), validity_(validity) {}

  // A failed operation or heartbeat at `now`.
  void RecordFailure(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  // A good reply at `now`: the tag (if any) and the counter are cleared.
  void RecordSuccess(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  struct State {
    uint64_t failures = 0;   // the counter
    bool tagged = false;     // tagged failed at `now`
    absl::Time tag_expiry;   // when the tag lapses (if tagged)
    uint64_t times_tagged = 0;
  };
  State Get(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  bool IsTagged(absl::Time now) { return Get(now).tagged; }

 private:
  // Drops a lapsed tag (and its counter).
  void Expire(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t threshold_;
  const absl::Duration validity_;
  Mutex mu_;
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool tagged_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time tag_expiry_ ABSL_GUARDED_BY(mu_);
  uint64_t times_tagged_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_FAILURE_DETECTOR_H_
