#include "py_db.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "bytes_arg.h"
#include "errors.h"
#include "py_get.h"
#include "py_multi_get.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

// Option values travel as strings; Python values are spelled the way
// engine/options.cc parses them.
std::string OptionValue(const std::string& name, py::handle value) {
  if (PyBool_Check(value.ptr()))
    return value.is(py::bool_(true)) ? "true" : "false";
  if (PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr())) {
    return py::str(value);
  }
  if (PyUnicode_Check(value.ptr())) return value.cast<std::string>();
  throw py::type_error("option '" + name +
                       "': value must be str, int, float or bool, not " +
                       std::string(Py_TYPE(value.ptr())->tp_name));
}

void SetOption(cairn_options_t* options, const std::string& name,
               const std::string& value) {
  char* err = nullptr;
  cairn_status_t s =
      cairn_options_set(options, name.c_str(), value.c_str(), &err);
  if (s != CAIRN_OK) ThrowStatus(s, err);
}

py::object ParseJson(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

}  // namespace

void ApplyOptions(cairn_options_t* out, const py::object& options) {
  if (options.is_none()) return;
  if (!PyDict_Check(options.ptr())) {
    throw py::type_error(
        "options must be a dict of option names to values, not " +
        std::string(Py_TYPE(options.ptr())->tp_name));
  }
  for (auto [key, value] : options.cast<py::dict>()) {
    if (!PyUnicode_Check(key.ptr())) {
      throw py::type_error("option names must be str, not " +
                           std::string(Py_TYPE(key.ptr())->tp_name));
    }
    std::string name = key.cast<std::string>();
    SetOption(out, name, OptionValue(name, value));
  }
}

namespace {

// Whether `name` is an option this libcairn knows.
bool IsOption(cairn_options_t* options, const std::string& name) {
  char* value = nullptr;
  char* err = nullptr;
  cairn_status_t s = cairn_options_get(options, name.c_str(), &value, &err);
  cairn_free(value);
  cairn_free(err);
  return s == CAIRN_OK;
}

}  // namespace

void ApplyKeywordOptions(cairn_options_t* out, const py::dict& options) {
  for (auto [key, value] : options) {
    std::string name = key.cast<std::string>();
    if (!IsOption(out, name)) {
      std::string dotted = name;
      if (size_t at = dotted.find('_'); at != std::string::npos) {
        dotted[at] = '.';
        if (IsOption(out, dotted)) name = dotted;
      }
    }
    // An unknown name fails here, with the C ABI's message naming it.
    SetOption(out, name, OptionValue(name, value));
  }
}

std::string FsPath(const py::object& path) {
  std::string fs_path =
      py::module_::import("os").attr("fsencode")(path).cast<std::string>();
  // The C ABI takes a C string: an embedded NUL would silently cut the path.
  if (fs_path.find('\0') != std::string::npos) {
    throw py::value_error("path contains a NUL byte");
  }
  return fs_path;
}

PyDb::PyDb(const py::object& path, bool create_if_missing, bool error_if_exists,
           const py::object& options, const py::dict& keyword_options) {
  std::string fs_path = FsPath(path);
  std::string display_path =
      py::module_::import("os").attr("fsdecode")(path).cast<std::string>();

  OptionsHolder holder;
  SetOption(holder.options, "create_if_missing",
            create_if_missing ? "true" : "false");
  SetOption(holder.options, "error_if_exists",
            error_if_exists ? "true" : "false");
  ApplyOptions(holder.options, options);
  ApplyKeywordOptions(holder.options, keyword_options);
  char* node_id = nullptr;
  char* ignored = nullptr;
  const bool replicating =
      cairn_options_get(holder.options, "replication.node_id", &node_id,
                        &ignored) == CAIRN_OK &&
      std::string(node_id) != "0";
  cairn_free(node_id);
  cairn_free(ignored);

  cairn_db_t* db = nullptr;
  char* err = nullptr;
  cairn_status_t s;
  {
    py::gil_scoped_release nogil;
    s = cairn_open(holder.options, fs_path.c_str(), &db, &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err);
  state_ = std::make_shared<DbState>(db, display_path);
  state_->set_replicating(replicating);
}

py::list PyDb::MultiGet(const py::iterable& keys) {
  // Keys are copied into one buffer: no Python object is needed while the
  // GIL is released, and a few contiguous KiB cost less than a reference
  // or buffer export per key.
  std::string arena;
  std::vector<std::pair<size_t, size_t>> spans;  // offset, length in arena
  for (py::handle key : keys) {
    BytesArg arg;
    arg.InitOrThrow(key.ptr(), "key");
    spans.emplace_back(arena.size(), arg.size());
    arena.append(arg.data(), arg.size());
  }
  const size_t n = spans.size();
  py::list out(n);
  if (n == 0) return out;

  InFlightCall call(*state_);
  FetchMultiGet(call.db(), arena, spans, out);
  return out;
}

namespace {

// One cairn_property call without the GIL (see py_db.h for why).
cairn_status_t ReadProperty(DbState& state, const std::string& name,
                            std::string* out, char** err) {
  InFlightCall call(state);
  py::gil_scoped_release nogil;
  char* value = nullptr;
  cairn_status_t s = cairn_property(call.db(), name.c_str(), &value, err);
  if (s == CAIRN_OK) {
    out->assign(value);
    cairn_free(value);
  }
  return s;
}

}  // namespace

std::string PyDb::Property(const std::string& name) {
  std::string value;
  char* err = nullptr;
  cairn_status_t s = ReadProperty(*state_, name, &value, &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "property '" + name + "'");
  return value;
}

std::optional<std::string> PyDb::OptionalProperty(const std::string& name) {
  std::string value;
  char* err = nullptr;
  cairn_status_t s = ReadProperty(*state_, name, &value, &err);
  if (s == CAIRN_NOT_FOUND) {
    cairn_free(err);
    return std::nullopt;
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "property '" + name + "'");
  return value;
}

py::object PyDb::Check() {
  std::string report;
  char* err = nullptr;
  cairn_status_t s;
  {
    InFlightCall call(*state_);
    py::gil_scoped_release nogil;
    char* value = nullptr;
    s = cairn_check(call.db(), &value, &err);
    if (value != nullptr) {
      report.assign(value);
      cairn_free(value);
    }
  }
  // Damage found is the check's result, not a failed call: the report says
  // so ('clean': False) and lists it.
  if (s == CAIRN_CORRUPTION && !report.empty()) {
    cairn_free(err);
    s = CAIRN_OK;
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, "check");
  return ParseJson(report);
}

py::object PyDb::Stats() { return ParseJson(Property("cairn.stats")); }

py::object PyDb::CacheStats() {
  std::optional<std::string> json = OptionalProperty("cairn.cache");
  if (!json) {
    ThrowError(ErrorClass(CAIRN_NOT_SUPPORTED),
               std::string("cache_stats: libcairn ") + cairn_version() +
                   " has no shared-memory cache (property 'cairn.cache' is "
                   "not provided)");
  }
  return ParseJson(*json);
}

py::object PyDb::Migration() {
  std::optional<std::string> json = OptionalProperty("cairn.migration");
  if (!json) {
    ThrowError(ErrorClass(CAIRN_NOT_SUPPORTED),
               std::string("migration: libcairn ") + cairn_version() +
                   " cannot change cache instances online (property "
                   "'cairn.migration' is not provided)");
  }
  return ParseJson(*json);
}

}  // namespace cairn::python
