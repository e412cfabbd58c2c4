// PyIterator: cairn.Iterator, a Python iterator over a key range.
//
// Built from DB.iterator() / Snapshot.iterator(). Python-style bounds
// (start/stop with inclusiveness flags, or a prefix) are turned into the C
// ABI's [lower, upper) bounds once, at creation, so each step is one C call.
// The C iterator sees a consistent view: the snapshot given, or an implicit
// one taken at creation.
//
// Not thread-safe beyond what the GIL gives: each step holds the GIL (a step
// is far cheaper than releasing it). After DB.close() a step raises
// cairn.UnavailableError; the handle is still destroyed safely.
#ifndef CAIRN_BINDINGS_PYTHON_PY_ITERATOR_H_
#define CAIRN_BINDINGS_PYTHON_PY_ITERATOR_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "cairn/cairn.h"
#include "db_state.h"

namespace cairn::python {

struct IteratorArgs {
  pybind11::object start;
  pybind11::object stop;
  bool include_start = true;
  bool include_stop = false;
  pybind11::object prefix;
  bool reverse = false;
  bool include_key = true;
  bool include_value = true;
  bool fill_cache = true;
};

class PyIterator {
 public:
  // Creates the C iterator; `snapshot` may be null.
  PyIterator(std::shared_ptr<DbState> state, const IteratorArgs& args,
             const cairn_snapshot_t* snapshot);
  ~PyIterator();
  PyIterator(const PyIterator&) = delete;
  PyIterator& operator=(const PyIterator&) = delete;

  // The next item, or nullptr at the end (pybind11 turns that into
  // StopIteration without a C++ exception).
  pybind11::object Next();
  // Destroys the C iterator now; later steps end the iteration.
  void Close();

 private:
  std::shared_ptr<DbState> state_;
  cairn_iterator_t* it_ = nullptr;  // null when closed or the range is empty
  bool reverse_;
  bool include_key_;
  bool include_value_;
  bool started_ = false;
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_ITERATOR_H_
