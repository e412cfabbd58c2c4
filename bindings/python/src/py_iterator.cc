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

// The smallest key greater than every key starting with `prefix`, or none
// when the prefix is all 0xff bytes (then no upper bound is needed).
std::optional<std::string> PrefixSuccessor(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

// Owns a cairn_readoptions_t for the duration of an iterator's creation.
struct ReadOptionsHolder {
  cairn_readoptions_t* ro = cairn_readoptions_create();
  ~ReadOptionsHolder() { cairn_readoptions_destroy(ro); }
};

void SetBound(cairn_status_t (*set)(cairn_readoptions_t*, const char*, size_t,
                                    char**),
              cairn_readoptions_t* ro, const std::optional<std::string>& b) {
  if (!b) return;
  char* err = nullptr;
  cairn_status_t s = set(ro, b->data(), b->size(), &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "iterator bound");
}

}  // namespace

PyIterator::PyIterator(std::shared_ptr<DbState> state,
                       const IteratorArgs& args,
                       const cairn_snapshot_t* snapshot)
    : state_(std::move(state)),
      reverse_(args.reverse),
      include_key_(args.include_key),
      include_value_(args.include_value) {
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
    lower = BytesOrNone(args.prefix, "prefix");
    upper = PrefixSuccessor(*lower);
  } else {
    lower = BytesOrNone(args.start, "start");
    upper = BytesOrNone(args.stop, "stop");
    // Appending a zero byte gives the immediate successor in bytewise order.
    if (lower && !args.include_start) lower->push_back('\0');
    if (upper && args.include_stop) upper->push_back('\0');
  }
  cairn_db_t* db = state_->CheckedOrThrow();
  if (lower && upper && *lower >= *upper) return;  // empty range
  ReadOptionsHolder ro;
  SetBound(cairn_readoptions_set_lower_bound, ro.ro, lower);
  SetBound(cairn_readoptions_set_upper_bound, ro.ro, upper);
  cairn_readoptions_set_fill_cache(ro.ro, args.fill_cache ? 1 : 0);
  if (snapshot != nullptr) cairn_readoptions_set_snapshot(ro.ro, snapshot);
  char* err = nullptr;
  cairn_status_t s = cairn_iter_create(db, ro.ro, &it_, &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "iterator");
}

PyIterator::~PyIterator() { Close(); }

void PyIterator::Close() {
  if (it_ == nullptr) return;
  cairn_iterator_t* it = it_;
  it_ = nullptr;
  state_->DestroyDependent([it] { cairn_iter_destroy(it); });
}

py::object PyIterator::Next() {
  if (it_ == nullptr) return py::object();
  state_->CheckedOrThrow();  // closed or forked: raise before touching C
  if (!started_) {
    started_ = true;
    reverse_ ? cairn_iter_seek_to_last(it_) : cairn_iter_seek_to_first(it_);
  } else {
    reverse_ ? cairn_iter_prev(it_) : cairn_iter_next(it_);
  }
  if (!cairn_iter_valid(it_)) {
    char* err = nullptr;
    cairn_status_t s = cairn_iter_status(it_, &err);
    Close();
    if (s != CAIRN_OK) ThrowStatus(s, err, "iterator");
    return py::object();
  }
  size_t keylen = 0;
  size_t valuelen = 0;
  if (include_key_ && include_value_) {
    const char* k = cairn_iter_key(it_, &keylen);
    const char* v = cairn_iter_value(it_, &valuelen);
    return py::make_tuple(py::bytes(k, keylen), py::bytes(v, valuelen));
  }
  if (include_key_) {
    const char* k = cairn_iter_key(it_, &keylen);
    return py::bytes(k, keylen);
  }
  const char* v = cairn_iter_value(it_, &valuelen);
  return py::bytes(v, valuelen);
}

}  // namespace cairn::python
