#include "py_raw_iterator.h"

#include <optional>

#include "bytes_arg.h"
#include "errors.h"

namespace py = pybind11;

namespace cairn::python {

PyRawIterator::PyRawIterator(std::shared_ptr<DbState> state,
                             const ReadFlags& flags,
                             const cairn_snapshot_t* snapshot,
                             std::string db_prefix)
    : state_(std::move(state)), db_prefix_(std::move(db_prefix)) {
  std::optional<std::string> lower;
  std::optional<std::string> upper;
  if (!db_prefix_.empty()) {
    lower = db_prefix_;
    upper = PrefixSuccessor(db_prefix_);
  }
  it_ = NewCIterator(*state_, lower, upper, flags, snapshot);
}

PyRawIterator::~PyRawIterator() { Close(); }

void PyRawIterator::Close() {
  if (it_ == nullptr) return;
  cairn_iterator_t* it = it_;
  it_ = nullptr;
  state_->DestroyDependent([it] { cairn_iter_destroy(it); });
}

cairn_iterator_t* PyRawIterator::Checked() {
  if (it_ == nullptr) ThrowError(ClosedErrorClass(), "raw iterator is closed");
  state_->CheckedOrThrow();
  return it_;
}

cairn_iterator_t* PyRawIterator::CheckedValid(const char* op) {
  cairn_iterator_t* it = Checked();
  if (!cairn_iter_valid(it)) {
    CheckStatus();  // an error that made it invalid wins
    ThrowError(IteratorInvalidErrorClass(),
               std::string("raw iterator: ") + op +
                   "() needs a valid iterator (seek first; valid() is False)");
  }
  return it;
}

void PyRawIterator::CheckStatus() {
  char* err = nullptr;
  cairn_status_t s = cairn_iter_status(it_, &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "raw iterator");
}

std::string PyRawIterator::Target(py::handle target) const {
  BytesArg t;
  t.InitOrThrow(target.ptr(), "target");
  std::string full = db_prefix_;
  full.append(t.data(), t.size());
  return full;
}

bool PyRawIterator::Valid() { return cairn_iter_valid(Checked()) != 0; }

void PyRawIterator::SeekToFirst() {
  cairn_iter_seek_to_first(Checked());
  CheckStatus();
}

void PyRawIterator::SeekToLast() {
  cairn_iter_seek_to_last(Checked());
  CheckStatus();
}

void PyRawIterator::Seek(py::handle target) {
  std::string t = Target(target);
  cairn_iter_seek(Checked(), t.data(), t.size());
  CheckStatus();
}

void PyRawIterator::SeekForPrev(py::handle target) {
  std::string t = Target(target);
  cairn_iter_seek_for_prev(Checked(), t.data(), t.size());
  CheckStatus();
}

void PyRawIterator::Next() {
  cairn_iter_next(CheckedValid("next"));
  CheckStatus();
}

void PyRawIterator::Prev() {
  cairn_iter_prev(CheckedValid("prev"));
  CheckStatus();
}

py::bytes PyRawIterator::Key() {
  size_t len = 0;
  const char* k = cairn_iter_key(CheckedValid("key"), &len);
  return py::bytes(k + db_prefix_.size(), len - db_prefix_.size());
}

py::bytes PyRawIterator::Value() {
  size_t len = 0;
  const char* v = cairn_iter_value(CheckedValid("value"), &len);
  return py::bytes(v, len);
}

py::tuple PyRawIterator::Item() {
  cairn_iterator_t* it = CheckedValid("item");
  size_t keylen = 0;
  size_t valuelen = 0;
  const char* k = cairn_iter_key(it, &keylen);
  const char* v = cairn_iter_value(it, &valuelen);
  return py::make_tuple(
      py::bytes(k + db_prefix_.size(), keylen - db_prefix_.size()),
      py::bytes(v, valuelen));
}

}  // namespace cairn::python
