// The read hot path shared by DB.get, DB.__contains__, DB.multi_get and
// Snapshot.get: one cairn_get, one bytes object, no pybind11 dispatch.
#ifndef CAIRN_BINDINGS_PYTHON_PY_GET_H_
#define CAIRN_BINDINGS_PYTHON_PY_GET_H_

#include <Python.h>

#include <cstddef>

#include "cairn/cairn.h"

namespace cairn::python {

// The value of `key` as a new bytes object; a new reference to `dflt` when
// the key is missing; nullptr with a cairn.Error set on failure. GIL held.
PyObject* GetValue(cairn_db_t* db, const cairn_readoptions_t* read_options,
                   const char* key, size_t keylen, PyObject* dflt);

// Adds the raw (METH_FASTCALL) methods get, __contains__, put and delete to
// the pybind11 class `db_type` (cairn.DB). Throws on failure.
void AddFastDbMethods(PyObject* db_type);

// Adds the raw method get to the pybind11 class cairn.Snapshot.
void AddFastSnapshotMethods(PyObject* snapshot_type);

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_GET_H_
