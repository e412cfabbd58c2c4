#include "py_snapshot.h"

#include "errors.h"

namespace py = pybind11;

namespace cairn::python {

PySnapshot::PySnapshot(std::shared_ptr<DbState> state)
    : state_(std::move(state)) {
  cairn_db_t* db = state_->CheckedOrThrow();
  char* err = nullptr;
  cairn_status_t s = cairn_snapshot_create(db, &snapshot_, &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "snapshot");
  read_options_ = cairn_readoptions_create();
  cairn_readoptions_set_snapshot(read_options_, snapshot_);
}

PySnapshot::~PySnapshot() { Release(); }

void PySnapshot::Release() {
  if (snapshot_ == nullptr) return;
  cairn_snapshot_t* snapshot = snapshot_;
  cairn_readoptions_t* read_options = read_options_;
  snapshot_ = nullptr;
  read_options_ = nullptr;
  state_->DestroyDependent([snapshot, read_options] {
    cairn_readoptions_destroy(read_options);
    cairn_snapshot_release(snapshot);
  });
}

const cairn_snapshot_t* PySnapshot::CheckedOrThrow() const {
  state_->CheckedOrThrow();
  if (snapshot_ == nullptr) {
    ThrowError(ClosedErrorClass(), "snapshot was released");
  }
  return snapshot_;
}

const cairn_readoptions_t* PySnapshot::ReadOptions() const {
  if (state_->Checked() == nullptr) return nullptr;
  if (snapshot_ == nullptr) {
    PyErr_SetString(ClosedErrorClass(), "snapshot was released");
    return nullptr;
  }
  return read_options_;
}

}  // namespace cairn::python
