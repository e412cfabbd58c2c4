#include "bytes_arg.h"

#include <pybind11/pybind11.h>

namespace cairn::python {

bool SetNotBytesError(PyObject* obj, const char* what) {
  if (PyUnicode_Check(obj)) {
    PyErr_Format(PyExc_TypeError,
                 "%s must be bytes-like (bytes, bytearray, memoryview), not "
                 "str: Cairn stores bytes, encode it first (e.g. "
                 "%s.encode())",
                 what, what);
  } else {
    PyErr_Format(PyExc_TypeError,
                 "%s must be bytes-like (bytes, bytearray, memoryview), not "
                 "%.200s",
                 what, obj == Py_None ? "None" : Py_TYPE(obj)->tp_name);
  }
  return false;
}

BytesArg::~BytesArg() {
  Py_XDECREF(ref_);
  if (has_view_) PyBuffer_Release(&view_);
}

bool BytesArg::Init(PyObject* obj, const char* what) {
  if (PyBytes_Check(obj)) {
    Py_INCREF(obj);
    ref_ = obj;
    data_ = PyBytes_AS_STRING(obj);
    size_ = static_cast<size_t>(PyBytes_GET_SIZE(obj));
    return true;
  }
  if (PyUnicode_Check(obj) || !PyObject_CheckBuffer(obj)) {
    return SetNotBytesError(obj, what);
  }
  if (PyObject_GetBuffer(obj, &view_, PyBUF_SIMPLE) != 0) {
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError,
                 "%s must be a C-contiguous bytes-like object; got a "
                 "non-contiguous %.200s",
                 what, Py_TYPE(obj)->tp_name);
    return false;
  }
  has_view_ = true;
  // An empty buffer may export NULL; the C ABI wants a pointer for length 0.
  data_ = view_.buf != nullptr ? static_cast<const char*>(view_.buf) : "";
  size_ = static_cast<size_t>(view_.len);
  return true;
}

void BytesArg::InitOrThrow(PyObject* obj, const char* what) {
  if (!Init(obj, what)) throw pybind11::error_already_set();
}

}  // namespace cairn::python
