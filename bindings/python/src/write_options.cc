#include "write_options.h"

#include <pybind11/pybind11.h>

#include <cstring>

#include "errors.h"

namespace cairn::python {
namespace {

bool ParseMode(PyObject* arg, int* mode) {
  if (arg == nullptr || arg == Py_None) return true;
  if (!PyUnicode_Check(arg)) {
    PyErr_Format(PyExc_TypeError,
                 "replication must be 'sync', 'async' or None, not %.200s",
                 Py_TYPE(arg)->tp_name);
    return false;
  }
  const char* text = PyUnicode_AsUTF8(arg);
  if (text == nullptr) return false;
  if (std::strcmp(text, "sync") == 0) {
    *mode = CAIRN_REPLICATION_SYNC;
  } else if (std::strcmp(text, "async") == 0) {
    *mode = CAIRN_REPLICATION_ASYNC;
  } else {
    PyErr_Format(ErrorClass(CAIRN_INVALID_ARGUMENT),
                 "replication must be 'sync', 'async' or None, not %R", arg);
    return false;
  }
  return true;
}

bool ParseAcks(PyObject* arg, uint32_t* acks) {
  if (arg == nullptr || arg == Py_None) return true;
  if (PyUnicode_Check(arg)) {
    const char* text = PyUnicode_AsUTF8(arg);
    if (text == nullptr) return false;
    if (std::strcmp(text, "majority") == 0) {
      *acks = CAIRN_SYNC_ACKS_MAJORITY;
      return true;
    }
    if (std::strcmp(text, "all") == 0) {
      *acks = CAIRN_SYNC_ACKS_ALL;
      return true;
    }
    PyErr_Format(ErrorClass(CAIRN_INVALID_ARGUMENT),
                 "sync_acks must be a count >= 1, 'majority' or 'all', not %R",
                 arg);
    return false;
  }
  if (PyBool_Check(arg) || !PyLong_Check(arg)) {
    PyErr_Format(PyExc_TypeError,
                 "sync_acks must be an int, 'majority' or 'all', not %.200s",
                 Py_TYPE(arg)->tp_name);
    return false;
  }
  int overflow = 0;
  const long long n = PyLong_AsLongLongAndOverflow(arg, &overflow);
  if (n == -1 && PyErr_Occurred()) return false;
  if (overflow < 0 || (overflow == 0 && n < 1)) {
    PyErr_Format(ErrorClass(CAIRN_INVALID_ARGUMENT),
                 "sync_acks must be a count >= 1, 'majority' or 'all', not %R",
                 arg);
    return false;
  }
  // The two largest uint32 values spell majority and all in the C ABI.
  constexpr long long kMaxCount = CAIRN_SYNC_ACKS_MAJORITY - 1;
  if (overflow > 0 || n > kMaxCount) {
    PyErr_Format(PyExc_OverflowError, "sync_acks is too large (at most %lld)",
                 kMaxCount);
    return false;
  }
  *acks = static_cast<uint32_t>(n);
  return true;
}

}  // namespace

bool ParseReplicaChoice(PyObject* replication, PyObject* sync_acks,
                        ReplicaChoice* out) {
  *out = ReplicaChoice();
  return ParseMode(replication, &out->mode) &&
         ParseAcks(sync_acks, &out->sync_acks);
}

ReplicaChoice ReplicaChoiceOrThrow(PyObject* replication, PyObject* sync_acks) {
  ReplicaChoice choice;
  if (!ParseReplicaChoice(replication, sync_acks, &choice)) {
    throw pybind11::error_already_set();
  }
  return choice;
}

}  // namespace cairn::python
