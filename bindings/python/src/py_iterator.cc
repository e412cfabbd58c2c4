#include "py_iterator.h"

#include <optional>
#include <string>

#include "bytes_arg.h"
#include "errors.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

std::optional<std::string> BytesOrNone(const py::object& obj,
                                       const char* what) {
  if (obj.is_none()) return std::nullopt;
  BytesArg arg;
  arg.InitOrThrow(obj.ptr(), what);
  return std::string(arg.data(), arg.size());
}

}  // namespace

PyIterator::PyIterator(std::shared_ptr<DbState> state, const IteratorArgs& args,
                       const cairn_snapshot_t* snapshot)
    : state_(std::move(state)),
      reverse_(args.reverse),
      include_key_(args.include_key),
      include_value_(args.include_value),
      db_prefix_(args.db_prefix) {
  if (!include_key_ && !include_value_) {
    throw py::type_error(
        "iterator: include_key and include_value cannot both be False");
  }
  std::optional<std::string> lower;  // inclusive
  std::optional<std::string> upper;  // exclusive
  if (!args.prefix.is_none()) {
    if (!args.start.is_none() || !args.stop.is_none()) {
      throw py::type_error(
          "iterator: prefix cannot be combined with start or stop");
    }
    lower = db_prefix_ + *BytesOrNone(args.prefix, "prefix");
    upper = PrefixSuccessor(*lower);
  } else {
    lower = BytesOrNone(args.start, "start");
    upper = BytesOrNone(args.stop, "stop");
    // Appending a zero byte gives the immediate successor in bytewise order.
    if (lower && !args.include_start) lower->push_back('\0');
    if (upper && args.include_stop) upper->push_back('\0');
    if (!db_prefix_.empty()) {
      lower = db_prefix_ + lower.value_or("");
      upper = upper ? std::optional<std::string>(db_prefix_ + *upper)
                    : PrefixSuccessor(db_prefix_);
    }
  }
  if (lower && upper && *lower > *upper) upper = lower;  // empty range
  it_ = NewCIterator(*state_, lower, upper, args.read, snapshot);
  pos_ = reverse_ ? Pos::kAfterStop : Pos::kBeforeStart;
}

PyIterator::~PyIterator() { Close(); }

void PyIterator::Close() {
  if (it_ == nullptr) return;
  cairn_iterator_t* it = it_;
  it_ = nullptr;
  state_->DestroyDependent([it] { cairn_iter_destroy(it); });
}

cairn_iterator_t* PyIterator::Checked() {
  if (it_ == nullptr) ThrowError(ClosedErrorClass(), "iterator is closed");
  state_->CheckedOrThrow();  // closed or forked: raise before touching C
  return it_;
}

bool PyIterator::Landed() {
  if (cairn_iter_valid(it_)) return true;
  char* err = nullptr;
  cairn_status_t s = cairn_iter_status(it_, &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "iterator");
  return false;
}

py::object PyIterator::Current() {
  size_t keylen = 0;
  size_t valuelen = 0;
  const char* k = nullptr;
  if (include_key_) {
    k = cairn_iter_key(it_, &keylen);
    // Keys of a prefixed view are returned without the prefix (the bounds
    // keep every key inside it).
    k += db_prefix_.size();
    keylen -= db_prefix_.size();
  }
  if (include_key_ && include_value_) {
    const char* v = cairn_iter_value(it_, &valuelen);
    return py::make_tuple(py::bytes(k, keylen), py::bytes(v, valuelen));
  }
  if (include_key_) return py::bytes(k, keylen);
  const char* v = cairn_iter_value(it_, &valuelen);
  return py::bytes(v, valuelen);
}

py::object PyIterator::StepForward() {
  cairn_iterator_t* it = Checked();
  switch (pos_) {
    case Pos::kAfterStop:
      return py::object();
    case Pos::kBeforeStart:
      cairn_iter_seek_to_first(it);
      break;
    case Pos::kOnPreceding:
      cairn_iter_next(it);
      break;
    case Pos::kOnFollowing:
      break;  // already on the entry to return
  }
  if (!Landed()) {
    pos_ = Pos::kAfterStop;
    return py::object();
  }
  pos_ = Pos::kOnPreceding;
  return Current();
}

py::object PyIterator::StepBackward() {
  cairn_iterator_t* it = Checked();
  switch (pos_) {
    case Pos::kBeforeStart:
      return py::object();
    case Pos::kAfterStop:
      cairn_iter_seek_to_last(it);
      break;
    case Pos::kOnFollowing:
      cairn_iter_prev(it);
      break;
    case Pos::kOnPreceding:
      break;
  }
  if (!Landed()) {
    pos_ = Pos::kBeforeStart;
    return py::object();
  }
  pos_ = Pos::kOnFollowing;
  return Current();
}

py::object PyIterator::Next() {
  return reverse_ ? StepBackward() : StepForward();
}

py::object PyIterator::Prev() {
  return reverse_ ? StepForward() : StepBackward();
}

void PyIterator::SeekToStart() {
  Checked();
  pos_ = Pos::kBeforeStart;
}

void PyIterator::SeekToStop() {
  Checked();
  pos_ = Pos::kAfterStop;
}

void PyIterator::Seek(py::handle target) {
  BytesArg t;
  t.InitOrThrow(target.ptr(), "target");
  cairn_iterator_t* it = Checked();
  if (db_prefix_.empty()) {
    cairn_iter_seek(it, t.data(), t.size());
  } else {
    std::string full = db_prefix_;
    full.append(t.data(), t.size());
    cairn_iter_seek(it, full.data(), full.size());
  }
  pos_ = Landed() ? Pos::kOnFollowing : Pos::kAfterStop;
}

}  // namespace cairn::python
