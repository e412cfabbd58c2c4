// DbLock: one process owns a database at a time.
//
// The owner holds an exclusive flock(2) on <db>/CAIRN.LOCK and writes its pid
// there. flock locks belong to an open file description, so a second open in
// the same process conflicts just like one from another process, and the
// kernel drops the lock when the owner dies — a crashed owner never blocks
// the next open. A conflicting open fails with a Busy status naming the
// owner's pid.
//
// The lock file is trusted only if it is ours: opened without following a
// symlink, a regular file owned by the effective uid (PermissionDenied
// otherwise), mode 0600 (set if it was wider).
//
// Not copyable; release by destruction. Thread-compatible.
#ifndef CAIRN_ENGINE_DB_LOCK_H_
#define CAIRN_ENGINE_DB_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace cairn {

class DbLock {
 public:
  static constexpr char kFileName[] = "CAIRN.LOCK";

  // `dir` must exist.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DbLock>> Acquire(
      const std::string& dir);

  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;
  ~DbLock();

 private:
  explicit DbLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_DB_LOCK_H_
