#include "cluster_state.h"

#include <pybind11/pybind11.h>
#include <unistd.h>

#include "db_state.h"
#include "errors.h"

namespace py = pybind11;

namespace cairn::python {

ClusterState::ClusterState(cairn_cluster_t* cluster)
    : cluster_(cluster),
      owner_pid_(getpid()),
      fork_epoch_(g_fork_epoch.load(std::memory_order_relaxed)) {}

ClusterState::~ClusterState() { Close(); }

bool ClusterState::forked() const {
  return fork_epoch_ != g_fork_epoch.load(std::memory_order_relaxed);
}

void ClusterState::ThrowUnusable() const {
  if (forked()) {
    PyErr_Format(ErrorClass(CAIRN_OK),
                 "this cluster client was opened by process %d and cannot be "
                 "used in the forked child process %d: open another one in "
                 "the child",
                 static_cast<int>(owner_pid_), static_cast<int>(getpid()));
  } else {
    PyErr_SetString(ClosedErrorClass(), "cluster client is closed");
  }
  throw py::error_already_set();
}

void ClusterState::Close() {
  if (close_started_) return;
  close_started_ = true;
  cairn_cluster_t* cluster = cluster_;
  cluster_ = nullptr;
  if (cluster == nullptr || forked()) return;
  auto close = [this, cluster] {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] { return in_flight_ == 0; });
    cairn_cluster_close(cluster);
  };
  if (PyGILState_Check()) {
    py::gil_scoped_release nogil;
    close();
  } else {
    close();
  }
}

ClusterCall::ClusterCall(ClusterState& state)
    : state_(state), cluster_(state.cluster_) {
  state.CheckOrThrow();
  std::lock_guard<std::mutex> lock(state_.mu_);
  ++state_.in_flight_;
}

ClusterCall::~ClusterCall() {
  std::lock_guard<std::mutex> lock(state_.mu_);
  if (--state_.in_flight_ == 0) state_.idle_.notify_all();
}

}  // namespace cairn::python
