// PyRawIterator: cairn.RawIterator, a thin skin over the C iterator.
//
// Made by DB.raw_iterator() / Snapshot.raw_iterator() (and prefixed views,
// whose keys it returns without the prefix and whose seek targets it
// prefixes). Like plyvel's RawIterator (and LevelDB's Iterator): it is
// positioned on an entry or not (valid()); seek_to_first(), seek_to_last(),
// seek(target) (first key >= target) and seek_for_prev(target) (last key
// <= target) position it; next() and prev() move it. key(), value(),
// item(), next() and prev() on an iterator that is not valid raise
// cairn.IteratorInvalidError instead of returning garbage. A new raw
// iterator is not valid until a seek.
//
// Thread safety and closing: as PyIterator (py_iterator.h).
#ifndef CAIRN_BINDINGS_PYTHON_PY_RAW_ITERATOR_H_
#define CAIRN_BINDINGS_PYTHON_PY_RAW_ITERATOR_H_

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "cairn/cairn.h"
#include "db_state.h"
#include "read_options.h"

namespace cairn::python {

class PyRawIterator {
 public:
  // Iterates the keys that start with `db_prefix` (all keys when empty) at
  // `snapshot` (may be null).
  PyRawIterator(std::shared_ptr<DbState> state, const ReadFlags& flags,
                const cairn_snapshot_t* snapshot, std::string db_prefix);
  ~PyRawIterator();
  PyRawIterator(const PyRawIterator&) = delete;
  PyRawIterator& operator=(const PyRawIterator&) = delete;

  bool Valid();
  void SeekToFirst();
  void SeekToLast();
  void Seek(pybind11::handle target);
  void SeekForPrev(pybind11::handle target);
  void Next();
  void Prev();
  pybind11::bytes Key();
  pybind11::bytes Value();
  pybind11::tuple Item();
  void Close();

 private:
  cairn_iterator_t* Checked();
  // Checked(), and raises IteratorInvalidError (naming `op`) when the
  // iterator is not positioned on an entry.
  cairn_iterator_t* CheckedValid(const char* op);
  // Raises the iteration's error status, if any, after a move.
  void CheckStatus();
  std::string Target(pybind11::handle target) const;

  std::shared_ptr<DbState> state_;
  cairn_iterator_t* it_ = nullptr;  // null once closed
  const std::string db_prefix_;
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_RAW_ITERATOR_H_
