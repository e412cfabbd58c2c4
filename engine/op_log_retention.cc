// OpLog: the retention policy and the hold (see op_log.h). The trimmer
// thread that calls TrimToRetention() is op_log_trimmer.h.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/op_log.h"
#include "leveldb/db.h"

namespace cairn {

void OpLog::SetRetention(const OpLogRetention& retention) {
  MutexLock l(&trim_mu_);
  retention_ = retention;
  // Already past the threshold (a reopened long log) trims now.
  ScheduleNextTrim(/*blocked=*/false);
}

absl::Status OpLog::SetHold(uint64_t from) {
  MutexLock l(&trim_mu_);
  if (from < FirstSequence()) {
    return absl::OutOfRangeError(absl::StrCat(
        "op log starts at sequence ", FirstSequence(),
        "; cannot hold it from sequence ", from, ", which was trimmed"));
  }
  const uint64_t old = hold_.exchange(from, std::memory_order_relaxed);
  // A hold that moved forward may free what an earlier trim had to keep.
  if (old != 0 && from > old) RequestTrim();
  return absl::OkStatus();
}

void OpLog::ClearHold() {
  MutexLock l(&trim_mu_);
  if (hold_.exchange(0, std::memory_order_relaxed) != 0) RequestTrim();
}

absl::Status OpLog::TrimToRetention() {
  MutexLock l(&trim_mu_);
  const uint64_t last = LastSequence();
  absl::Status s;
  bool held = false;
  if (retention_.retain_ops > 0 && last > retention_.retain_ops) {
    uint64_t upto = last - retention_.retain_ops;
    const uint64_t hold = hold_.load(std::memory_order_relaxed);
    if (hold != 0 && upto >= hold) {
      if (retention_.hold_cap_bytes > 0 &&
          ApproximateBytes() > retention_.hold_cap_bytes) {
        // The slowest reader fell too far behind: it will need a resync.
        hold_overrides_.fetch_add(1, std::memory_order_relaxed);
      } else {
        upto = hold - 1;
        held = true;
      }
    }
    s = TrimLocked(upto);
  }
  ScheduleNextTrim(/*blocked=*/held || !s.ok());
  return s;
}

void OpLog::ScheduleNextTrim(bool blocked) {
  if (retention_.retain_ops == 0) {
    trim_due_at_.store(UINT64_MAX, std::memory_order_relaxed);
    return;
  }
  const uint64_t slack = retention_.TrimSlack();
  const uint64_t last = LastSequence();
  // Due once the log holds retain_ops + slack operations.
  uint64_t due = FirstSequence() + retention_.retain_ops + slack;
  if (blocked) {
    due = std::max(due, last + slack);
  } else if (due <= last) {
    // Writes passed the threshold while this trim ran: trim again now.
    RequestTrim();
    return;
  }
  trim_due_at_.store(due, std::memory_order_relaxed);
}

void OpLog::RequestTrim() {
  // Once per threshold: later writes see UINT64_MAX until the trim is done.
  trim_due_at_.store(UINT64_MAX, std::memory_order_relaxed);
  MutexLock l(&trimmer_mu_);
  trim_requested_ = true;
  trim_due_.Signal();
}

bool OpLog::WaitForTrimDue() {
  MutexLock l(&trimmer_mu_);
  while (!trim_requested_ && !trimmer_closed_) trim_due_.Wait(&trimmer_mu_);
  trim_requested_ = false;
  return !trimmer_closed_;
}

bool OpLog::WaitForTrimmedTo(uint64_t first, absl::Time deadline) {
  MutexLock l(&wait_mu_);
  while (FirstSequence() < first && !closed_) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    trimmed_.WaitFor(&wait_mu_, absl::ToChronoNanoseconds(
                                    std::min(left, absl::Seconds(3600))));
  }
  return FirstSequence() >= first;
}

uint64_t OpLog::ApproximateBytes() const {
  const std::string start(1, kOpLogPrefix);
  const std::string limit(1, static_cast<char>(kOpLogPrefix + 1));
  leveldb::Range range(start, limit);
  uint64_t size = 0;
  db_->GetApproximateSizes(&range, 1, &size);
  return size;
}

}  // namespace cairn
