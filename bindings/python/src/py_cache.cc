// cairn.DB's cache-instance changes: add_cache_instance,
// remove_cache_instance and transfer, over the C ABI 1.1 calls
// cairn_cache_add_instance / _remove_instance / _transfer.
//
// Each may wait for a running migration to finish (at full speed), so each
// runs without the GIL, registered as in flight so close() waits for it.
#include <limits>
#include <string>

#include "errors.h"
#include "py_db.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

// A Python int (anything with __index__ except bool) as an unsigned C
// integer of at most `max`: TypeError for other types, InvalidArgumentError
// (a ValueError) when negative, OverflowError above `max`.
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

constexpr uint64_t kMaxId = std::numeric_limits<uint32_t>::max();

}  // namespace

uint32_t PyDb::AddCacheInstance(const py::handle& capacity_bytes) {
  const uint64_t capacity = UnsignedArg(capacity_bytes, "capacity_bytes",
                                        std::numeric_limits<uint64_t>::max());
  InFlightCall call(*state_);
  uint32_t id = 0;
  char* err = nullptr;
  cairn_status_t s;
  {
    py::gil_scoped_release nogil;
    s = cairn_cache_add_instance(call.db(), capacity, &id, &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "add_cache_instance");
  return id;
}

void PyDb::RemoveCacheInstance(const py::handle& id) {
  const auto instance = static_cast<uint32_t>(UnsignedArg(id, "id", kMaxId));
  InFlightCall call(*state_);
  char* err = nullptr;
  cairn_status_t s;
  {
    py::gil_scoped_release nogil;
    s = cairn_cache_remove_instance(call.db(), instance, &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "remove_cache_instance");
}

void PyDb::Transfer(const py::handle& from_id, const py::handle& to_id) {
  const auto from =
      static_cast<uint32_t>(UnsignedArg(from_id, "from_id", kMaxId));
  const auto to = static_cast<uint32_t>(UnsignedArg(to_id, "to_id", kMaxId));
  InFlightCall call(*state_);
  char* err = nullptr;
  cairn_status_t s;
  {
    py::gil_scoped_release nogil;
    s = cairn_cache_transfer(call.db(), from, to, &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "transfer");
}

}  // namespace cairn::python
