#include "errors.h"

#include <pybind11/pybind11.h>

#include <array>
#include <stdexcept>
#include <string>

namespace py = pybind11;

namespace cairn::python {
namespace {

// Indexed by cairn_status_t: the classes of cairn.errors._BY_STATUS, the one
// status-to-class table ([0], CAIRN_OK, holds the base class cairn.Error).
constexpr size_t kStatuses = CAIRN_INTERNAL + 1;
std::array<PyObject*, kStatuses> g_classes{};
PyObject* g_closed = nullptr;
PyObject* g_iterator_invalid = nullptr;

}  // namespace

void LoadErrorClasses() {
  py::module_ errors = py::module_::import("cairn.errors");
  py::tuple table = errors.attr("_BY_STATUS");
  if (table.size() != kStatuses) {
    throw std::runtime_error(
        "cairn.errors._BY_STATUS does not list every status");
  }
  for (size_t i = 0; i < kStatuses; ++i) {
    // Kept for the life of the process: the classes outlive every module
    // that could raise them.
    g_classes[i] = py::object(table[i]).release().ptr();
  }
  g_closed = py::object(errors.attr("ClosedError")).release().ptr();
  g_iterator_invalid =
      py::object(errors.attr("IteratorInvalidError")).release().ptr();
}

PyObject* ClosedErrorClass() { return g_closed; }

PyObject* IteratorInvalidErrorClass() { return g_iterator_invalid; }

PyObject* ErrorClass(cairn_status_t status) {
  size_t i = static_cast<size_t>(status);
  return i < g_classes.size() ? g_classes[i] : g_classes[0];
}

void SetStatusError(cairn_status_t status, char* errmsg,
                    std::string_view context) {
  std::string message(context);
  if (!message.empty()) message += ": ";
  message += errmsg != nullptr ? errmsg : cairn_status_name(status);
  cairn_free(errmsg);
  PyErr_SetString(ErrorClass(status), message.c_str());
}

void ThrowStatus(cairn_status_t status, char* errmsg,
                 std::string_view context) {
  SetStatusError(status, errmsg, context);
  throw py::error_already_set();
}

void ThrowError(PyObject* cls, std::string_view message) {
  PyErr_SetString(cls, std::string(message).c_str());
  throw py::error_already_set();
}

}  // namespace cairn::python
