// cairn.DB's cache-instance changes: add_cache_instance,
// remove_cache_instance and transfer, over the C ABI 1.1 calls
// cairn_cache_add_instance / _remove_instance / _transfer.
//
// Each may wait for a running migration to finish (at full speed), so each
// runs without the GIL, registered as in flight so close() waits for it.
#include <limits>
#include <string>

#include "errors.h"
#include "int_arg.h"
#include "py_db.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

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
