// PyIterator: cairn.Iterator, a two-way iterator over a key range.
//
// Built from DB.iterator() / Snapshot.iterator() (and prefixed views).
// Python-style bounds (start/stop with inclusiveness flags, or a prefix) are
// turned into the C ABI's [lower, upper) bounds once, at creation, so the C
// iterator never leaves the range and each step is one C call.
//
// Semantics are plyvel's: the iterator is a cursor *between* entries of the
// range. next() returns the entry after the cursor and moves past it,
// prev() the entry before it and moves back; with reverse=True the two
// swap. seek_to_start() / seek_to_stop() put the cursor before the first /
// after the last entry of the range, whatever the direction, and
// seek(target) just before the first entry >= target (clamped to the
// range). A new iterator sits at the start (at the stop when reversed).
// At either end the step raises StopIteration and the cursor stays put, so
// the iterator can be stepped back. It sees a consistent view: the snapshot
// given, or an implicit one taken at creation.
//
// Not thread-safe beyond what the GIL gives: each step holds the GIL (a step
// is far cheaper than releasing it). After close(), or DB.close(), every
// operation raises cairn.ClosedError; the handle is still destroyed safely.
#ifndef CAIRN_BINDINGS_PYTHON_PY_ITERATOR_H_
#define CAIRN_BINDINGS_PYTHON_PY_ITERATOR_H_

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "cairn/cairn.h"
#include "db_state.h"
#include "read_options.h"

namespace cairn::python {

struct IteratorArgs {
  pybind11::object start = pybind11::none();
  pybind11::object stop = pybind11::none();
  bool include_start = true;
  bool include_stop = false;
  pybind11::object prefix = pybind11::none();
  bool reverse = false;
  bool include_key = true;
  bool include_value = true;
  ReadFlags read;
  // A prefixed view's prefix: prepended to bounds and seek targets, removed
  // from the keys returned.
  std::string db_prefix;
};

class PyIterator {
 public:
  // Creates the C iterator; `snapshot` may be null.
  PyIterator(std::shared_ptr<DbState> state, const IteratorArgs& args,
             const cairn_snapshot_t* snapshot);
  ~PyIterator();
  PyIterator(const PyIterator&) = delete;
  PyIterator& operator=(const PyIterator&) = delete;

  // The next / previous item (in the iterator's direction), or a null object
  // at the end of the range (pybind11 turns that into StopIteration without
  // a C++ exception).
  pybind11::object Next();
  pybind11::object Prev();
  void SeekToStart();
  void SeekToStop();
  void Seek(pybind11::handle target);
  // Destroys the C iterator now; later operations raise ClosedError.
  void Close();

 private:
  // Where the cursor is, and where the C iterator sits relative to it.
  enum class Pos {
    kBeforeStart,  // before the first entry of the range
    kAfterStop,    // after the last entry
    kOnFollowing,  // between entries; C iterator on the entry after it
    kOnPreceding,  // between entries; C iterator on the entry before it
  };

  // Forward-order steps (next() and prev() of a forward iterator).
  pybind11::object StepForward();
  pybind11::object StepBackward();
  // The C iterator, or throws ClosedError (iterator or database closed).
  cairn_iterator_t* Checked();
  // After a C move: true when valid; false at the end of the range; throws
  // the iteration's error status.
  bool Landed();
  pybind11::object Current();

  std::shared_ptr<DbState> state_;
  cairn_iterator_t* it_ = nullptr;  // null once closed
  const bool reverse_;
  const bool include_key_;
  const bool include_value_;
  const std::string db_prefix_;
  Pos pos_ = Pos::kBeforeStart;
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_ITERATOR_H_
