#include "read_options.h"

#include "errors.h"

namespace py = pybind11;

namespace cairn::python {

bool ParseReadFlag(PyObject* arg, int* out) {
  if (arg == nullptr || arg == Py_None) {
    *out = -1;
    return true;
  }
  int truth = PyObject_IsTrue(arg);
  if (truth < 0) return false;
  *out = truth;
  return true;
}

ReadFlags ReadFlagsOrThrow(const py::handle& verify_checksums,
                           const py::handle& fill_cache) {
  ReadFlags flags;
  if (!ParseReadFlag(verify_checksums.ptr(), &flags.verify_checksums) ||
      !ParseReadFlag(fill_cache.ptr(), &flags.fill_cache)) {
    throw py::error_already_set();
  }
  return flags;
}

void ReadOptions::Apply(const ReadFlags& flags,
                        const cairn_snapshot_t* snapshot) {
  if (flags.verify_checksums >= 0) {
    cairn_readoptions_set_verify_checksums(
        options_, static_cast<unsigned char>(flags.verify_checksums));
  }
  if (flags.fill_cache >= 0) {
    cairn_readoptions_set_fill_cache(
        options_, static_cast<unsigned char>(flags.fill_cache));
  }
  if (snapshot != nullptr) cairn_readoptions_set_snapshot(options_, snapshot);
}

namespace {

void SetBound(cairn_status_t (*set)(cairn_readoptions_t*, const char*, size_t,
                                    char**),
              cairn_readoptions_t* ro, const std::optional<std::string>& b) {
  if (!b) return;
  char* err = nullptr;
  cairn_status_t s = set(ro, b->data(), b->size(), &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "iterator bound");
}

}  // namespace

cairn_iterator_t* NewCIterator(DbState& state,
                               const std::optional<std::string>& lower,
                               const std::optional<std::string>& upper,
                               const ReadFlags& flags,
                               const cairn_snapshot_t* snapshot) {
  cairn_db_t* db = state.CheckedOrThrow();
  ReadOptions ro;
  SetBound(cairn_readoptions_set_lower_bound, ro.get(), lower);
  SetBound(cairn_readoptions_set_upper_bound, ro.get(), upper);
  ro.Apply(flags, snapshot);
  cairn_iterator_t* it = nullptr;
  char* err = nullptr;
  cairn_status_t s = cairn_iter_create(db, ro.get(), &it, &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "iterator");
  return it;
}

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

}  // namespace cairn::python
