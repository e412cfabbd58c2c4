// PySnapshot: cairn.Snapshot, a consistent point-in-time view of a DB.
//
// Reads through it (get, iterator) ignore every write made after it was
// taken. It is released by release(), on leaving its `with` block, when it
// is garbage-collected, or when the DB closes; reads after that raise
// cairn.UnavailableError without touching the released C handle.
//
// Thread safety: reads hold the GIL, so any thread may use it.
#ifndef CAIRN_BINDINGS_PYTHON_PY_SNAPSHOT_H_
#define CAIRN_BINDINGS_PYTHON_PY_SNAPSHOT_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "cairn/cairn.h"
#include "db_state.h"

namespace cairn::python {

class PySnapshot {
 public:
  explicit PySnapshot(std::shared_ptr<DbState> state);
  ~PySnapshot();
  PySnapshot(const PySnapshot&) = delete;
  PySnapshot& operator=(const PySnapshot&) = delete;

  void Release();
  bool released() const { return snapshot_ == nullptr; }
  const std::shared_ptr<DbState>& state() const { return state_; }
  // The C snapshot, null once released (check with ReadOptions() first).
  const cairn_snapshot_t* snapshot() const { return snapshot_; }

  // The C snapshot for a read; throws cairn.UnavailableError once released
  // (or cairn.Error / UnavailableError when the DB is forked / closed).
  const cairn_snapshot_t* CheckedOrThrow() const;
  // The read options at this snapshot, or nullptr with a Python error set
  // once released (or the DB closed or forked). For the raw get method.
  const cairn_readoptions_t* ReadOptions() const;

 private:
  std::shared_ptr<DbState> state_;
  cairn_snapshot_t* snapshot_ = nullptr;
  cairn_readoptions_t* read_options_ = nullptr;  // reads at snapshot_
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_SNAPSHOT_H_
