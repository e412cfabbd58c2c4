// DbState: one open C database handle, shared by the DB object and every
// iterator, snapshot and write batch made from it.
//
// It enforces the rules the C ABI leaves to its caller:
//  - cairn_close() frees the handle, so after close() the pointer is
//    dropped here and never passed to C again; calls raise
//    cairn.UnavailableError instead.
//  - cairn_close() must not race with other calls on the handle. Calls that
//    release the GIL register as in flight (InFlightCall); close() marks the
//    state closed with the GIL held (so no new call can start), then waits,
//    without the GIL, for the calls in flight before closing. Iterator and
//    snapshot handles are destroyed through DestroyDependent(), which never
//    overlaps cairn_close().
//  - After os.fork() the child must not touch the parent's handle (LevelDB's
//    background thread and locks do not exist there). A pthread_atfork child
//    handler bumps a fork epoch; a state from an older epoch raises
//    cairn.Error on use and leaks its C handles on destruction.
//
// Thread safety: every method requires the GIL unless noted.
#ifndef CAIRN_BINDINGS_PYTHON_DB_STATE_H_
#define CAIRN_BINDINGS_PYTHON_DB_STATE_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "cairn/cairn.h"

namespace cairn::python {

// Bumped in every forked child. Installs its handler on first use.
extern std::atomic<uint64_t> g_fork_epoch;
void InstallForkHandler();

class DbState {
 public:
  DbState(cairn_db_t* db, std::string path);
  DbState(const DbState&) = delete;
  DbState& operator=(const DbState&) = delete;
  // Closes the handle unless already closed or in a forked child.
  ~DbState();

  // True in a process forked after the open.
  bool forked() const {
    return fork_epoch_ != g_fork_epoch.load(std::memory_order_relaxed);
  }
  bool closed() const { return db_ == nullptr; }
  // True when the database replicates (replication.node_id set): its writes
  // may wait for peers (replication.mode sync), so they release the GIL.
  bool replicating() const { return replicating_; }
  void set_replicating(bool replicating) { replicating_ = replicating; }
  const std::string& path() const { return path_; }

  // The handle, or nullptr with a Python error set (forked or closed).
  cairn_db_t* Checked() {
    if (db_ != nullptr && !forked()) return db_;
    SetUnusableError();
    return nullptr;
  }
  // Checked(), throwing pybind11::error_already_set on failure.
  cairn_db_t* CheckedOrThrow();

  // Marks the state closed and closes the handle (releasing the GIL while it
  // waits and closes). Idempotent. In a forked child it only detaches.
  void Close();

  // Runs `destroy` (an iterator or snapshot destructor) so that it never
  // overlaps cairn_close(); skips it in a forked child, where the handle
  // belongs to the parent.
  template <typename F>
  void DestroyDependent(F&& destroy);

 private:
  friend class InFlightCall;
  void SetUnusableError() const;
  void LockedDestroy(void (*fn)(void*), void* arg);

  cairn_db_t* db_;  // null once closed; guarded by the GIL
  const std::string path_;
  const pid_t owner_pid_;
  const uint64_t fork_epoch_;
  bool close_started_ = false;  // guarded by the GIL
  bool replicating_ = false;    // set once, after the open

  std::mutex mu_;  // guards in_flight_; held by close() around cairn_close
  std::condition_variable idle_;
  int in_flight_ = 0;
};

// Registers a call that runs without the GIL. Construct with the GIL held;
// throws pybind11::error_already_set when the state is closed or forked.
class InFlightCall {
 public:
  explicit InFlightCall(DbState& state);
  ~InFlightCall();  // GIL not required
  InFlightCall(const InFlightCall&) = delete;
  InFlightCall& operator=(const InFlightCall&) = delete;
  cairn_db_t* db() const { return db_; }

 private:
  DbState& state_;
  cairn_db_t* db_;
};

template <typename F>
void DbState::DestroyDependent(F&& destroy) {
  if (forked()) return;  // the parent's memory: leave it alone
  if (!close_started_) {
    destroy();  // the GIL keeps close() from starting meanwhile
    return;
  }
  LockedDestroy([](void* f) { (*static_cast<F*>(f))(); }, &destroy);
}

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_DB_STATE_H_
