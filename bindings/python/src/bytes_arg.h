// BytesArg: a key or value passed from Python, viewed as (pointer, length).
//
// Accepts bytes (fast path, no buffer export) and any object exporting a
// C-contiguous buffer (bytearray, memoryview, array, numpy). str and None
// are rejected with a TypeError that names the argument, because encoding is
// the caller's decision (Cairn stores bytes, never text).
//
// A BytesArg holds a reference (or a buffer export) on the object, so the
// view stays valid while the GIL is released. Create and destroy it with the
// GIL held; read data()/size() with or without it.
#ifndef CAIRN_BINDINGS_PYTHON_BYTES_ARG_H_
#define CAIRN_BINDINGS_PYTHON_BYTES_ARG_H_

#include <Python.h>

#include <cstddef>

namespace cairn::python {

class BytesArg {
 public:
  BytesArg() = default;
  BytesArg(const BytesArg&) = delete;
  BytesArg& operator=(const BytesArg&) = delete;
  ~BytesArg();

  // Views `obj`. On failure returns false with a TypeError set naming
  // `what` ("key", "value", ...).
  [[nodiscard]] bool Init(PyObject* obj, const char* what);
  // Init, throwing pybind11::error_already_set on failure.
  void InitOrThrow(PyObject* obj, const char* what);

  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  PyObject* ref_ = nullptr;  // owned reference when obj is bytes
  Py_buffer view_{};         // export when obj is another buffer
  bool has_view_ = false;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

// Sets the TypeError for an argument that is not bytes-like. Always false.
bool SetNotBytesError(PyObject* obj, const char* what);

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_BYTES_ARG_H_
