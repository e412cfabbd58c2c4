// Raw CPython methods for cairn.DB's per-operation hot path.
//
// pybind11's generic dispatcher (argument tuple, overload resolution, type
// casters) costs a few hundred nanoseconds per call, a large share of a
// cached get (measured: ~140 ns per get this way, ~530 ns through
// pybind11). These METH_FASTCALL methods parse their few arguments by hand
// and call the C ABI directly.
#include "py_get.h"

#include <pybind11/pybind11.h>

#include <cstring>
#include <iterator>

#include "bytes_arg.h"
#include "errors.h"
#include "py_db.h"
#include "py_snapshot.h"
#include "read_options.h"
#include "write_options.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

// The C++ object inside a pybind11 instance of T's class (the method
// descriptor has checked the type), or nullptr with an error set when it
// was never constructed.
template <typename T>
T* Self(PyObject* self) {
  auto* inst = reinterpret_cast<py::detail::instance*>(self);
  py::detail::value_and_holder vh = inst->get_value_and_holder();
  if (!vh.holder_constructed()) {
    PyErr_Format(PyExc_TypeError, "%.200s object was not initialized",
                 Py_TYPE(self)->tp_name);
    return nullptr;
  }
  return vh.value_ptr<T>();
}

PyDb* SelfDb(PyObject* self) { return Self<PyDb>(self); }

// Binds positional and keyword arguments to `names` (the first `npos` may be
// positional; the rest are keyword-only). Missing optional slots stay null.
bool ParseArgs(const char* fn, PyObject* const* args, Py_ssize_t nargs,
               PyObject* kwnames, const char* const* names, int nnames,
               int npos, int nrequired, PyObject** out) {
  for (int i = 0; i < nnames; ++i) out[i] = nullptr;
  if (nargs > npos) {
    PyErr_Format(PyExc_TypeError,
                 "%s() takes at most %d positional arguments (%zd given)", fn,
                 npos, nargs);
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
      PyErr_Format(PyExc_TypeError,
                   "%s() got an unexpected keyword argument '%s'", fn, kw);
      return false;
    }
    if (out[slot] != nullptr) {
      PyErr_Format(PyExc_TypeError,
                   "%s() got multiple values for argument '%s'", fn, kw);
      return false;
    }
    out[slot] = args[nargs + k];
  }
  for (int i = 0; i < nrequired; ++i) {
    if (out[i] == nullptr) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'", fn,
                   names[i]);
      return false;
    }
  }
  return true;
}

// Truthiness of an optional flag argument; -1 on error.
int Flag(PyObject* arg) { return arg == nullptr ? 0 : PyObject_IsTrue(arg); }

// Binds get's (key, default=None, *, verify_checksums=None, fill_cache=None)
// arguments.
bool ParseGetArgs(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                  PyObject** key, PyObject** dflt, ReadFlags* flags) {
  *dflt = Py_None;
  *flags = ReadFlags();
  if (nargs == 1 && kwnames == nullptr) {  // the common call: get(key)
    *key = args[0];
    return true;
  }
  static const char* const kNames[] = {"key", "default", "verify_checksums",
                                       "fill_cache"};
  PyObject* parsed[4];
  if (!ParseArgs("get", args, nargs, kwnames, kNames, 4, 2, 1, parsed))
    return false;
  *key = parsed[0];
  if (parsed[1] != nullptr) *dflt = parsed[1];
  return ParseReadFlag(parsed[2], &flags->verify_checksums) &&
         ParseReadFlag(parsed[3], &flags->fill_cache);
}

PyObject* GetWith(cairn_db_t* handle, const cairn_readoptions_t* read_options,
                  PyObject* key, PyObject* dflt) {
  if (PyBytes_Check(key)) {
    return GetValue(handle, read_options, PyBytes_AS_STRING(key),
                    static_cast<size_t>(PyBytes_GET_SIZE(key)), dflt);
  }
  BytesArg k;
  if (!k.Init(key, "key")) return nullptr;
  return GetValue(handle, read_options, k.data(), k.size(), dflt);
}

PyObject* SnapshotGet(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* kwnames) {
  PyObject* key;
  PyObject* dflt;
  ReadFlags flags;
  if (!ParseGetArgs(args, nargs, kwnames, &key, &dflt, &flags)) return nullptr;
  PySnapshot* snapshot = Self<PySnapshot>(self);
  if (snapshot == nullptr) return nullptr;
  const cairn_readoptions_t* read_options = snapshot->ReadOptions();
  if (read_options == nullptr) return nullptr;
  if (flags.is_default()) {
    return GetWith(snapshot->state()->Checked(), read_options, key, dflt);
  }
  ReadOptions options;
  options.Apply(flags, snapshot->snapshot());
  return GetWith(snapshot->state()->Checked(), options.get(), key, dflt);
}

PyObject* DbGet(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                PyObject* kwnames) {
  PyObject* key;
  PyObject* dflt;
  ReadFlags flags;
  if (!ParseGetArgs(args, nargs, kwnames, &key, &dflt, &flags)) return nullptr;
  PyDb* db = SelfDb(self);
  if (db == nullptr) return nullptr;
  cairn_db_t* handle = db->state()->Checked();
  if (handle == nullptr) return nullptr;
  if (flags.is_default()) return GetWith(handle, nullptr, key, dflt);
  ReadOptions options;  // only for calls that ask: the hot path passes NULL
  options.Apply(flags, nullptr);
  return GetWith(handle, options.get(), key, dflt);
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
  cairn_status_t s =
      cairn_get(handle, nullptr, k.data(), k.size(), &value, &len, &err);
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

// Runs a write. Writes that may wait release the GIL: sync ones (an
// fsync), sync-mode replicated ones and every write of a replicating
// database (whose replication.mode may be sync). The status is returned
// with *err set, as by the C ABI.
template <typename F>
cairn_status_t RunWrite(DbState& state, bool sync, const ReplicaChoice& replica,
                        F&& write) {
  WriteOptions options(sync, replica);
  if (!sync && !replica.waits() && !state.replicating()) {
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
  static const char* const kNames[] = {"key", "value", "sync", "replication",
                                       "sync_acks"};
  PyObject* parsed[5];
  if (!ParseArgs("put", args, nargs, kwnames, kNames, 5, 2, 2, parsed))
    return nullptr;
  int sync = Flag(parsed[2]);
  if (sync < 0) return nullptr;
  ReplicaChoice replica;
  if (!ParseReplicaChoice(parsed[3], parsed[4], &replica)) return nullptr;
  PyDb* db = SelfDb(self);
  if (db == nullptr) return nullptr;
  BytesArg k;
  BytesArg v;
  if (!k.Init(parsed[0], "key") || !v.Init(parsed[1], "value")) return nullptr;
  char* err = nullptr;
  cairn_status_t s = RunWrite(
      *db->state(), sync != 0, replica,
      [&](cairn_db_t* h, const cairn_writeoptions_t* o) {
        return cairn_put(h, o, k.data(), k.size(), v.data(), v.size(), &err);
      });
  return FinishWrite(s, err, "put");
}

PyObject* DbDelete(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                   PyObject* kwnames) {
  static const char* const kNames[] = {"key", "sync", "replication",
                                       "sync_acks"};
  PyObject* parsed[4];
  if (!ParseArgs("delete", args, nargs, kwnames, kNames, 4, 1, 1, parsed))
    return nullptr;
  int sync = Flag(parsed[1]);
  if (sync < 0) return nullptr;
  ReplicaChoice replica;
  if (!ParseReplicaChoice(parsed[2], parsed[3], &replica)) return nullptr;
  PyDb* db = SelfDb(self);
  if (db == nullptr) return nullptr;
  BytesArg k;
  if (!k.Init(parsed[0], "key")) return nullptr;
  char* err = nullptr;
  cairn_status_t s =
      RunWrite(*db->state(), sync != 0, replica,
               [&](cairn_db_t* h, const cairn_writeoptions_t* o) {
                 return cairn_delete(h, o, k.data(), k.size(), &err);
               });
  return FinishWrite(s, err, "delete");
}

PyMethodDef kSnapshotMethods[] = {
    {"get",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(SnapshotGet)),
     METH_FASTCALL | METH_KEYWORDS,
     "get(key, default=None, *, verify_checksums=None, fill_cache=None)\n"
     "    -> bytes | default\n\n"
     "The value of key as of the snapshot, or default when it was missing.\n"
     "verify_checksums=None / fill_cache=None: the database's defaults."},
};

void AddMethods(PyObject* type_obj, PyMethodDef* defs, size_t n) {
  auto* type = reinterpret_cast<PyTypeObject*>(type_obj);
  for (size_t i = 0; i < n; ++i) {
    py::object descr =
        py::reinterpret_steal<py::object>(PyDescr_NewMethod(type, &defs[i]));
    if (!descr) throw py::error_already_set();
    if (PyObject_SetAttrString(type_obj, defs[i].ml_name, descr.ptr()) != 0) {
      throw py::error_already_set();
    }
  }
}

PyMethodDef kFastMethods[] = {
    {"get", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(DbGet)),
     METH_FASTCALL | METH_KEYWORDS,
     "get(key, default=None, *, verify_checksums=None, fill_cache=None)\n"
     "    -> bytes | default\n\n"
     "The value stored under key, or default when the key is missing.\n"
     "verify_checksums: check the block checksums of what is read (None:\n"
     "the database's default); fill_cache=False keeps a one-off read from\n"
     "filling LevelDB's block cache (None: True)."},
    {"__contains__", DbContainsMethod, METH_O | METH_COEXIST,
     "key in db: True when key has a value."},
    {"put", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(DbPut)),
     METH_FASTCALL | METH_KEYWORDS,
     "put(key, value, *, sync=False, replication=None, sync_acks=None)\n"
     "    -> None\n\n"
     "Stores value under key. sync=True waits until the write is on disk\n"
     "(it then survives a machine crash, not only a process crash).\n"
     "replication='sync' also waits until sync_acks peers hold it\n"
     "(a count, 'majority' or 'all'; None: replication.sync_acks);\n"
     "'async' does not; None: the database's replication.mode. Past\n"
     "replication.sync_timeout_ms a sync-mode write raises\n"
     "OperationTimeout (or UnavailableError): it is durable here and\n"
     "queued for the peers the message names."},
    {"delete",
     reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(DbDelete)),
     METH_FASTCALL | METH_KEYWORDS,
     "delete(key, *, sync=False, replication=None, sync_acks=None)\n"
     "    -> None\n\n"
     "Deletes key (deleting a missing key is not an error). sync,\n"
     "replication and sync_acks: as for put."},
};

}  // namespace

PyObject* GetValue(cairn_db_t* db, const cairn_readoptions_t* read_options,
                   const char* key, size_t keylen, PyObject* dflt) {
  // Small values (the common case) come through a stack buffer: no malloc
  // and free per get. Larger ones fall back to cairn_get's copy.
  char buf[256];
  size_t len = 0;
  char* err = nullptr;
  cairn_status_t s = cairn_get_into(db, read_options, key, keylen, buf,
                                    sizeof buf, &len, &err);
  if (s == CAIRN_OK && len <= sizeof buf) {
    return PyBytes_FromStringAndSize(buf, static_cast<Py_ssize_t>(len));
  }
  char* value = nullptr;
  if (s == CAIRN_OK) {
    s = cairn_get(db, read_options, key, keylen, &value, &len, &err);
  }
  if (s == CAIRN_OK) {
    PyObject* out =
        PyBytes_FromStringAndSize(value, static_cast<Py_ssize_t>(len));
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
  AddMethods(db_type, kFastMethods, std::size(kFastMethods));
  auto* type = reinterpret_cast<PyTypeObject*>(db_type);
  // `key in db` goes straight to the C slot, not through a method lookup.
  type->tp_as_sequence->sq_contains = DbContains;
  PyType_Modified(type);
}

void AddFastSnapshotMethods(PyObject* snapshot_type) {
  AddMethods(snapshot_type, kSnapshotMethods, std::size(kSnapshotMethods));
}

}  // namespace cairn::python
