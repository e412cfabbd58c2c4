// Status → exception mapping for the Python bindings.
//
// The exception classes live in the pure-Python module cairn.errors (so they
// are documented and picklable like any Python class); LoadErrorClasses()
// looks them up once at import. Every C status becomes the subclass named
// for it, with the C ABI's message.
//
// Thread safety: call with the GIL held.
#ifndef CAIRN_BINDINGS_PYTHON_ERRORS_H_
#define CAIRN_BINDINGS_PYTHON_ERRORS_H_

#include <Python.h>

#include <string_view>

#include "cairn/cairn.h"

namespace cairn::python {

// Imports cairn.errors and keeps a reference to each class. Throws
// pybind11::error_already_set when the module is missing a class.
void LoadErrorClasses();

// The exception class for `status` (cairn.Error for unknown values).
// Borrowed reference.
PyObject* ErrorClass(cairn_status_t status);

// cairn.ClosedError (a closed database, released snapshot or closed
// iterator was used; an UnavailableError and a RuntimeError) and
// cairn.IteratorInvalidError (a raw iterator used while not valid).
// Borrowed references.
PyObject* ClosedErrorClass();
PyObject* IteratorInvalidErrorClass();

// Sets the Python error for `status` with `errmsg` (or the status name when
// the C ABI gave no message), prefixed by `context` when not empty, and
// frees `errmsg`. For raw CPython entry points.
void SetStatusError(cairn_status_t status, char* errmsg,
                    std::string_view context = {});

// SetStatusError, then throws pybind11::error_already_set. For pybind11
// entry points.
[[noreturn]] void ThrowStatus(cairn_status_t status, char* errmsg,
                              std::string_view context = {});

// Raises `cls` with `message` (throws pybind11::error_already_set).
[[noreturn]] void ThrowError(PyObject* cls, std::string_view message);

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_ERRORS_H_
