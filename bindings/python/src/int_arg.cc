#include "int_arg.h"

#include <string>

#include "errors.h"

namespace py = pybind11;

namespace cairn::python {

uint64_t UnsignedArg(const py::handle& obj, const char* name, uint64_t max) {
  if (PyBool_Check(obj.ptr()) || !PyIndex_Check(obj.ptr())) {
    throw py::type_error(std::string(name) + " must be an int, not " +
                         Py_TYPE(obj.ptr())->tp_name);
  }
  py::object index =
      py::reinterpret_steal<py::object>(PyNumber_Index(obj.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long small = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (small == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow < 0 || (overflow == 0 && small < 0)) {
    // No repr of the int: a huge one exceeds the int-to-str digit limit.
    ThrowError(ErrorClass(CAIRN_INVALID_ARGUMENT),
               std::string(name) + " must not be negative" +
                   (overflow == 0 ? ", got " + std::to_string(small) : ""));
  }
  uint64_t value = static_cast<uint64_t>(small);
  bool too_large = false;
  if (overflow > 0) {  // above LLONG_MAX
    value = PyLong_AsUnsignedLongLong(index.ptr());
    if (PyErr_Occurred()) {  // above ULLONG_MAX
      PyErr_Clear();
      too_large = true;
    }
  }
  if (too_large || value > max) {
    ThrowError(PyExc_OverflowError,
               std::string(name) + " is too large for the C ABI (at most " +
                   std::to_string(max) + ")");
  }
  return value;
}

}  // namespace cairn::python
