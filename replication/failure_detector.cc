#include "replication/failure_detector.h"

namespace cairn::replication {

void FailureDetector::Expire(absl::Time now) {
  if (tagged_ && now >= tag_expiry_) {
    tagged_ = false;
    failures_ = 0;
  }
}

void FailureDetector::RecordFailure(absl::Time now) {
  MutexLock lock(&mu_);
  Expire(now);
  ++failures_;
  if (!tagged_ && failures_ > threshold_) {
    tagged_ = true;
    tag_expiry_ = now + validity_;
    ++times_tagged_;
  }
}

void FailureDetector::RecordSuccess(absl::Time now) {
  MutexLock lock(&mu_);
  (void)now;
  tagged_ = false;
  failures_ = 0;
}

FailureDetector::State FailureDetector::Get(absl::Time now) {
  MutexLock lock(&mu_);
  Expire(now);
  State s;
  s.failures = failures_;
  s.tagged = tagged_;
  s.tag_expiry = tag_expiry_;
  s.times_tagged = times_tagged_;
  return s;
}

}  // namespace cairn::replication
