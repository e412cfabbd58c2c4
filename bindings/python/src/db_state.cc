#include "db_state.h"

#include <pthread.h>
#include <pybind11/pybind11.h>
#include <unistd.h>

#include "errors.h"

namespace py = pybind11;

namespace cairn::python {

std::atomic<uint64_t> g_fork_epoch{0};

void InstallForkHandler() {
  static const int installed = pthread_atfork(nullptr, nullptr, [] {
    g_fork_epoch.fetch_add(1, std::memory_order_relaxed);
  });
  (void)installed;
}

DbState::DbState(cairn_db_t* db, std::string path)
    : db_(db),
      path_(std::move(path)),
      owner_pid_(getpid()),
      fork_epoch_(g_fork_epoch.load(std::memory_order_relaxed)) {}

DbState::~DbState() { Close(); }

cairn_db_t* DbState::CheckedOrThrow() {
  cairn_db_t* db = Checked();
  if (db == nullptr) throw py::error_already_set();
  return db;
}

void DbState::SetUnusableError() const {
  if (forked()) {
    PyErr_Format(ErrorClass(CAIRN_OK),
                 "database '%s' was opened by process %d and cannot be used "
                 "in the forked child process %d: open it in the child "
                 "(after the parent has closed it) instead",
                 path_.c_str(), static_cast<int>(owner_pid_),
                 static_cast<int>(getpid()));
  } else {
    PyErr_Format(ClosedErrorClass(), "database '%s' is closed", path_.c_str());
  }
}

void DbState::Close() {
  if (close_started_) return;
  close_started_ = true;
  cairn_db_t* db = db_;
  db_ = nullptr;
  if (db == nullptr || forked()) return;
  auto close = [this, db] {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] { return in_flight_ == 0; });
    cairn_close(db);
  };
  if (PyGILState_Check()) {
    py::gil_scoped_release nogil;
    close();
  } else {
    close();
  }
}

void DbState::LockedDestroy(void (*fn)(void*), void* arg) {
  py::gil_scoped_release nogil;
  std::lock_guard<std::mutex> lock(mu_);
  fn(arg);
}

InFlightCall::InFlightCall(DbState& state)
    : state_(state), db_(state.CheckedOrThrow()) {
  std::lock_guard<std::mutex> lock(state_.mu_);
  ++state_.in_flight_;
}

InFlightCall::~InFlightCall() {
  std::lock_guard<std::mutex> lock(state_.mu_);
  if (--state_.in_flight_ == 0) state_.idle_.notify_all();
}

}  // namespace cairn::python
