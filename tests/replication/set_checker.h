// SetChecker: Jepsen's set checker for the replication tests. Every write
// adds a unique element (a key); a write whose reply was "ok" is
// acknowledged, one that failed or got no reply is uncertain (it may or may
// not have happened). Against the keys a node holds, the check reports
//   lost        acknowledged but absent (a durability bug), and
//   unexpected  present but never attempted (a phantom, e.g. a corrupt or
//               misrouted replay).
// Uncertain elements may be either present or absent.
//
// Thread-safe: writers record from their threads while the test checks.
#ifndef CAIRN_TESTS_REPLICATION_SET_CHECKER_H_
#define CAIRN_TESTS_REPLICATION_SET_CHECKER_H_

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cairn::testing {

class SetChecker {
 public:
  struct Result {
    std::vector<std::string> lost;
    std::vector<std::string> unexpected;
    size_t attempted = 0, acknowledged = 0, observed = 0;
    bool ok() const { return lost.empty() && unexpected.empty(); }
    // "observed N of A acknowledged (T attempted); lost [..]; unexpected
    // [..]", lists cut after a few elements.
    std::string Summary() const;
  };

  // Before the write is sent.
  void Attempt(const std::string& key);
  // After its "ok" reply.
  void Acknowledge(const std::string& key);

  size_t acknowledged() const;
  // The writes acknowledged so far. While writers run, take this before
  // reading what a node holds and check against it: a write acknowledged
  // after the read may rightly be missing from it.
  std::set<std::string> AcknowledgedNow() const;

  // Checks `observed` against `must_hold` (lost) and everything attempted
  // (unexpected).
  Result Check(const std::vector<std::string>& observed,
               const std::set<std::string>& must_hold) const;
  // Against every acknowledged write: when the writers have stopped.
  Result Check(const std::vector<std::string>& observed) const {
    return Check(observed, AcknowledgedNow());
  }

 private:
  mutable absl::Mutex mu_;
  std::set<std::string> attempted_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> acknowledged_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_REPLICATION_SET_CHECKER_H_
