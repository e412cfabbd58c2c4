// ClusterState: one open C cluster-client handle (cairn_cluster_t), shared
// by the cairn.Cluster object and the write batches made from it.
//
// The same rules as DbState (db_state.h), for the same reasons:
//  - cairn_cluster_close() frees the handle, so after close() the pointer
//    is dropped here and never passed to C again; calls raise
//    cairn.ClosedError instead.
//  - cairn_cluster_close() must not race with calls on the handle ("no call
//    may be in flight"). Every cluster call waits on the network and runs
//    without the GIL, registered as in flight (ClusterCall); close() marks
//    the state closed with the GIL held (so no new call can start), then
//    waits, without the GIL, for the calls in flight before closing.
//  - After os.fork() the child must not touch the parent's handle (its
//    heartbeat and report threads do not exist there): a state from an
//    older fork epoch raises cairn.Error on use and leaks the handle on
//    destruction.
//
// Thread safety: every method requires the GIL unless noted.
#ifndef CAIRN_BINDINGS_PYTHON_CLUSTER_STATE_H_
#define CAIRN_BINDINGS_PYTHON_CLUSTER_STATE_H_

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "cairn/cairn.h"

namespace cairn::python {

class ClusterState {
 public:
  explicit ClusterState(cairn_cluster_t* cluster);
  ClusterState(const ClusterState&) = delete;
  ClusterState& operator=(const ClusterState&) = delete;
  // Closes the handle unless already closed or in a forked child.
  ~ClusterState();

  bool closed() const { return cluster_ == nullptr; }
  bool forked() const;
  // Throws pybind11::error_already_set (cairn.ClosedError, or cairn.Error
  // in a forked child) unless the handle is usable.
  void CheckOrThrow() const {
    if (cluster_ == nullptr || forked()) ThrowUnusable();
  }

  // Marks the state closed and closes the handle (releasing the GIL while it
  // waits for calls in flight and closes). Idempotent. In a forked child it
  // only detaches.
  void Close();

 private:
  friend class ClusterCall;
  [[noreturn]] void ThrowUnusable() const;

  cairn_cluster_t* cluster_;  // null once closed; guarded by the GIL
  const pid_t owner_pid_;
  const uint64_t fork_epoch_;
  bool close_started_ = false;  // guarded by the GIL

  std::mutex mu_;  // guards in_flight_; held by Close() around the close
  std::condition_variable idle_;
  int in_flight_ = 0;
};

// Registers a cluster call that runs without the GIL. Construct with the
// GIL held; throws pybind11::error_already_set when the state is closed or
// forked.
class ClusterCall {
 public:
  explicit ClusterCall(ClusterState& state);
  ~ClusterCall();  // GIL not required
  ClusterCall(const ClusterCall&) = delete;
  ClusterCall& operator=(const ClusterCall&) = delete;
  cairn_cluster_t* get() const { return cluster_; }

 private:
  ClusterState& state_;
  cairn_cluster_t* cluster_;
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_CLUSTER_STATE_H_
