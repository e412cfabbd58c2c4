// Raw CPython methods for cairn.DB's per-operation hot path.
//
// pybind11's generic dispatcher (argument tuple, overload resolution, type
// casters) costs a few hundred nanoseconds per call, a large share of a
// cached get. These METH_FASTCALL methods parse their few arguments by hand
// and call the C ABI directly.
#include "py_get.h"

#include <pybind11/pybind11.h>

#include <cstring>

#include "bytes_arg.h"
#include "errors.h"
#include "py_db.h"
#include "write_options.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

// The PyDb inside a cairn.DB instance (the descriptor has checked the type),
// or nullptr with an error set when __init__ has not run.
PyDb* SelfDb(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  py::detail::value_and_holder vh = inst->get_value_and_holder();
  if (!vh.holder_constructed()) {
    PyErr_SetString(PyExc_TypeError, "cairn.DB.__init__() was not called");
    return nullptr;
  }
  return vh.value_ptr<PyDb>();
}

// Binds positional and keyword arguments to `names` (the first `npos` may be
// positional; the rest are keyword-only). Missing optional slots stay null.
bool ParseArgs(const char* fn, PyObject* const* args, Py_ssize_t nargs,
               PyObject* kwnames, const char* const* names, int nnames,
               int npos, int nrequired, PyObject** out) {
  for (int i = 0; i < nnames; ++i) out[i] = nullptr;
  if (nargs > npos) {
    PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional arguments (%zd given)",
                 fn, npos, nargs);
    return false;
  }
  for (Py_ssize_t i = 0; i < nargs; ++i) out[i] = args[i];
  Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    const char* kw = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
    if (kw == nullptr) return false;
    int slot = -1;
    for (int i = 0; i < nnames; ++i) {
      if (std::strcmp(kw, names[i]) == 0) slot = i;
    }
    if (slot < 0) {
      PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", fn, kw);
      return false;
    }
    if (out[slot] != nullptr) {
      PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'", fn, kw);
      return false;
    }
    out[slot] = args[nargs + k];
  }
  for (int i = 0; i < nrequired; ++i) {
    if (out[i] == nullptr) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fn, names[i]);
      return false;
    }
  }
  return true;
}

// Truthiness of an optional flag argument; -1 on error.
int Flag(PyObject* arg) { return arg == nullptr ? 0 : PyObject_IsTrue(arg); }

PyObject* DbGet(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                PyObject* kwnames) {
  PyObject* key;
  PyObject* dflt = Py_None;
  if (nargs == 1 && kwnames == nullptr) {  // the common call: db.get(key)
    key = args[0];
  } else {
    static const char* const kNames[] = {"key", "default"};
    PyObject* parsed[2];
    if (!ParseArgs("get", args, nargs, kwnames, kNames, 2, 2, 1, parsed)) return nullptr;
    key = parsed[0];
    if (parsed[1] != nullptr) dflt = parsed[1];
  }
  PyDb* db = SelfDb(self);
  if (db == nullptr) return nullptr;
  cairn_db_t* handle = db->state()->Checked();
  if (handle == nullptr) return nullptr;
  if (PyBytes_Check(key)) {
    return GetValue(handle, nullptr, PyBytes_AS_STRING(key),
                    static_cast<size_t>(PyBytes_GET_SIZE(key)), dflt);
  }
  BytesArg k;
  if (!k.Init(key, "key")) return nullptr;
  return GetValue(handle, nullptr, k.data(), k.size(), dflt);
}

int DbContains(PyObject* self, PyObject* key) {
  PyDb* db = SelfDb(self);
  if (db == nullptr) return -1;
  cairn_db_t* handle = db->state()->Checked();
  if (handle == nullptr) return -1;
  BytesArg k;
  if (!k.Init(key, "key")) return -1;
  char* value = nullptr;
  size_t len = 0;
  char* err = nullptr;
  cairn_status_t s = cairn_get(handle, nullptr, k.data(), k.size(), &value, &len, &err);
  cairn_free(value);
  if (s == CAIRN_OK) return 1;
  if (s == CAIRN_NOT_FOUND) {
    cairn_free(err);
    return 0;
  }
  SetStatusError(s, err);
  return -1;
}

PyObject* DbContainsMethod(PyObject* self, PyObject* key) {
  int r = DbContains(self, key);
  return r < 0 ? nullptr : PyBool_FromLong(r);
}

// Runs a write; sync writes release the GIL for their fsync. The status is
// returned with *err set, as by the C ABI.
template <typename F>
cairn_status_t RunWrite(DbState& state, bool sync, F&& write) {
  WriteOptions options(sync);
  if (!sync) {
    cairn_db_t* handle = state.Checked();
    if (handle == nullptr) return CAIRN_INTERNAL;  // Python error already set
    return write(handle, options.get());
  }
  try {
    InFlightCall call(state);
    py::gil_scoped_release nogil;
    return write(call.db(), options.get());
  } catch (py::error_already_set& e) {
    e.restore();
    return CAIRN_INTERNAL;
  }
}

PyObject* FinishWrite(cairn_status_t s, char* err, const char* what) {
  if (s == CAIRN_OK) Py_RETURN_NONE;
  if (PyErr_Occurred()) return nullptr;  // closed or forked
  SetStatusError(s, err, what);
  return nullptr;
}

PyObject* DbPut(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                PyObject* kwnames) {
  static const char* const kNames[] = {"key", "value", "sync"};
  PyObject* parsed[3];
  if (!ParseArgs("put", args, nargs, kwnames, kNames, 3, 2, 2, parsed)) return nullptr;
  int sync = Flag(parsed[2]);
  if (sync < 0) return nullptr;
  PyDb* db = SelfDb(self);
  if (db == nullptr) return nullptr;
  BytesArg k;
  BytesArg v;
  if (!k.Init(parsed[0], "key") || !v.Init(parsed[1], "value")) return nullptr;
  char* err = nullptr;
  cairn_status_t s = RunWrite(*db->state(), sync != 0,
                              [&](cairn_db_t* h, const cairn_writeoptions_t* o) {
                                return cairn_put(h, o, k.data(), k.size(), v.data(),
                                                 v.size(), &err);
                              });
  return FinishWrite(s, err, "put");
}

PyObject* DbDelete(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                   PyObject* kwnames) {
  static const char* const kNames[] = {"key", "sync"};
  PyObject* parsed[2];
  if (!ParseArgs("delete", args, nargs, kwnames, kNames, 2, 1, 1, parsed)) return nullptr;
  int sync = Flag(parsed[1]);
  if (sync < 0) return nullptr;
  PyDb* db = SelfDb(self);
  if (db == nullptr) return nullptr;
  BytesArg k;
  if (!k.Init(parsed[0], "key")) return nullptr;
  char* err = nullptr;
  cairn_status_t s = RunWrite(*db->state(), sync != 0,
                              [&](cairn_db_t* h, const cairn_writeoptions_t* o) {
                                return cairn_delete(h, o, k.data(), k.size(), &err);
                              });
  return FinishWrite(s, err, "delete");
}

PyMethodDef kFastMethods[] = {
    {"get", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(DbGet)),
     METH_FASTCALL | METH_KEYWORDS,
     "get(key, default=None) -> bytes | default\n\n"
     "The value stored under key, or default when the key is missing."},
    {"__contains__", DbContainsMethod, METH_O | METH_COEXIST,
     "key in db: True when key has a value."},
    {"put", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(DbPut)),
     METH_FASTCALL | METH_KEYWORDS,
     "put(key, value, *, sync=False) -> None\n\n"
     "Stores value under key. sync=True waits until the write is on disk\n"
     "(it then survives a machine crash, not only a process crash)."},
    {"delete", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(DbDelete)),
     METH_FASTCALL | METH_KEYWORDS,
     "delete(key, *, sync=False) -> None\n\n"
     "Deletes key (deleting a missing key is not an error)."},
};

}  // namespace

PyObject* GetValue(cairn_db_t* db, const cairn_readoptions_t* read_options,
                   const char* key, size_t keylen, PyObject* dflt) {
  char* value = nullptr;
  size_t len = 0;
  char* err = nullptr;
  cairn_status_t s = cairn_get(db, read_options, key, keylen, &value, &len, &err);
  if (s == CAIRN_OK) {
    PyObject* out = PyBytes_FromStringAndSize(value, static_cast<Py_ssize_t>(len));
    cairn_free(value);
    return out;
  }
  if (s == CAIRN_NOT_FOUND) {
    cairn_free(err);
    Py_INCREF(dflt);
    return dflt;
  }
  SetStatusError(s, err, "get");
  return nullptr;
}

void AddFastDbMethods(PyObject* db_type) {
  auto* type = reinterpret_cast<PyTypeObject*>(db_type);
  for (PyMethodDef& def : kFastMethods) {
    py::object descr = py::reinterpret_steal<py::object>(PyDescr_NewMethod(type, &def));
    if (!descr) throw py::error_already_set();
    if (PyObject_SetAttrString(db_type, def.ml_name, descr.ptr()) != 0) {
      throw py::error_already_set();
    }
  }
  // `key in db` goes straight to the C slot, not through a method lookup.
  type->tp_as_sequence->sq_contains = DbContains;
  PyType_Modified(type);
}

}  // namespace cairn::python
