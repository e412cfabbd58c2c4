// cairn.DB.compact_range / approximate_size(s) and cairn.repair: the C ABI
// 1.2 maintenance calls. Each runs without the GIL (compaction and repair
// take seconds on large databases).
#include <optional>
#include <string>
#include <vector>

#include "bytes_arg.h"
#include "errors.h"
#include "py_db.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

std::optional<std::string> OptionalBytes(const py::handle& obj,
                                         const char* what) {
  if (obj.is_none()) return std::nullopt;
  BytesArg arg;
  arg.InitOrThrow(obj.ptr(), what);
  return std::string(arg.data(), arg.size());
}

std::string Bytes(const py::handle& obj, const char* what) {
  BytesArg arg;
  arg.InitOrThrow(obj.ptr(), what);
  return std::string(arg.data(), arg.size());
}

}  // namespace

void PyDb::CompactRange(const py::object& start, const py::object& stop) {
  const std::optional<std::string> lo = OptionalBytes(start, "start");
  const std::optional<std::string> hi = OptionalBytes(stop, "stop");
  InFlightCall call(*state_);
  cairn_status_t s;
  char* err = nullptr;
  {
    py::gil_scoped_release nogil;
    s = cairn_compact_range(call.db(), lo ? lo->data() : nullptr,
                            lo ? lo->size() : 0, hi ? hi->data() : nullptr,
                            hi ? hi->size() : 0, &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "compact_range");
}

py::list PyDb::ApproximateSizes(const py::args& ranges) {
  std::vector<std::string> keys;
  keys.reserve(2 * ranges.size());
  for (py::handle range : ranges) {
    if (!PyTuple_Check(range.ptr()) && !PyList_Check(range.ptr())) {
      throw py::type_error(
          "approximate_sizes: each range must be a (start, stop) tuple, not " +
          std::string(Py_TYPE(range.ptr())->tp_name));
    }
    py::sequence pair = py::reinterpret_borrow<py::sequence>(range);
    if (pair.size() != 2) {
      throw py::type_error(
          "approximate_sizes: each range must be a (start, stop) pair");
    }
    keys.push_back(Bytes(pair[0], "start"));
    keys.push_back(Bytes(pair[1], "stop"));
  }
  const size_t n = ranges.size();
  std::vector<const char*> starts(n);
  std::vector<const char*> limits(n);
  std::vector<size_t> start_lens(n);
  std::vector<size_t> limit_lens(n);
  for (size_t i = 0; i < n; ++i) {
    starts[i] = keys[2 * i].data();
    start_lens[i] = keys[2 * i].size();
    limits[i] = keys[2 * i + 1].data();
    limit_lens[i] = keys[2 * i + 1].size();
  }
  std::vector<uint64_t> sizes(n, 0);
  InFlightCall call(*state_);
  cairn_status_t s;
  char* err = nullptr;
  {
    py::gil_scoped_release nogil;
    s = cairn_approximate_sizes(call.db(), n, starts.data(), start_lens.data(),
                                limits.data(), limit_lens.data(), sizes.data(),
                                &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "approximate_sizes");
  py::list out(n);
  for (size_t i = 0; i < n; ++i) out[i] = py::int_(sizes[i]);
  return out;
}

uint64_t PyDb::ApproximateSize(const py::handle& start,
                               const py::handle& stop) {
  py::list sizes =
      ApproximateSizes(py::make_tuple(py::make_tuple(start, stop)));
  return sizes[0].cast<uint64_t>();
}

void Repair(const py::object& path, const py::object& options) {
  std::string fs_path = FsPath(path);
  OptionsHolder holder;
  ApplyOptions(holder.options, options);
  cairn_status_t s;
  char* err = nullptr;
  {
    py::gil_scoped_release nogil;
    s = cairn_repair(holder.options, fs_path.c_str(), &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "repair");
}

}  // namespace cairn::python
