#include "py_cluster.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "bytes_arg.h"
#include "errors.h"
#include "int_arg.h"
#include "py_db.h"
#include "py_write_batch.h"
#include "write_options.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cairn::python {
namespace {

constexpr uint64_t kMaxLimit = std::numeric_limits<uint32_t>::max();

py::object ParseJson(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

// Runs `call(cluster, err)` without the GIL, registered as in flight, and
// returns its status (*err set as by the C ABI).
template <typename F>
cairn_status_t CallCluster(ClusterState& state, F&& call, char** err) {
  ClusterCall in_flight(state);
  py::gil_scoped_release nogil;
  return call(in_flight.get(), err);
}

// CallCluster, raising its failure (prefixed by `context` when not empty).
template <typename F>
void CallOrThrow(ClusterState& state, const char* context, F&& call) {
  char* err = nullptr;
  cairn_status_t s = CallCluster(state, std::forward<F>(call), &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, context);
}

// A JSON text returned by a cluster call (`fn(cluster, &json, &err)`),
// parsed.
template <typename F>
py::object JsonCall(ClusterState& state, const char* context, F&& fn) {
  std::string text;
  CallOrThrow(state, context, [&](cairn_cluster_t* c, char** err) {
    char* json = nullptr;
    cairn_status_t s = fn(c, &json, err);
    if (json != nullptr) {
      text.assign(json);
      cairn_free(json);
    }
    return s;
  });
  return ParseJson(text);
}

// A Python int as int64, OverflowError naming `name` otherwise.
int64_t Int64(const py::object& value, const char* name) {
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow != 0) {
    ThrowError(PyExc_OverflowError,
               std::string(name) +
                   " is out of range (microseconds since the epoch must fit "
                   "in 64 bits)");
  }
  return v;
}

// since= / until= of audit(): None (`none`), a datetime (naive: local
// time, as datetime.timestamp() reads it) or seconds since the Unix epoch
// (int or float), as microseconds since the epoch.
int64_t MicrosArg(const py::handle& value, const char* name, int64_t none) {
  if (value.is_none()) return none;
  py::module_ dt = py::module_::import("datetime");
  if (py::isinstance(value, dt.attr("datetime"))) {
    py::object t = py::reinterpret_borrow<py::object>(value);
    if (t.attr("tzinfo").is_none()) t = t.attr("astimezone")();
    py::object epoch = dt.attr("datetime")(
        1970, 1, 1, "tzinfo"_a = dt.attr("timezone").attr("utc"));
    py::object one_us = dt.attr("timedelta")("microseconds"_a = 1);
    // Exact: timedelta // timedelta is an int.
    return Int64((t - epoch).attr("__floordiv__")(one_us), name);
  }
  if (PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr())) {
    return Int64(py::reinterpret_borrow<py::object>(value) * py::int_(1000000),
                 name);
  }
  if (PyFloat_Check(value.ptr())) {
    const double seconds = PyFloat_AS_DOUBLE(value.ptr());
    if (!std::isfinite(seconds)) {
      ThrowError(ErrorClass(CAIRN_INVALID_ARGUMENT),
                 std::string(name) + " must be finite, got " +
                     std::string(py::repr(value)));
    }
    return Int64(py::module_::import("builtins")
                     .attr("round")(py::float_(seconds * 1e6)),
                 name);
  }
  throw py::type_error(std::string(name) +
                       " must be a datetime, seconds since the epoch (int or "
                       "float) or None, not " +
                       Py_TYPE(value.ptr())->tp_name);
}

// The cairn.WriteBatch behind `batch` (a WriteBatch or PrefixedWriteBatch).
PyWriteBatch& BatchOf(const py::handle& batch) {
  py::object b = py::reinterpret_borrow<py::object>(batch);
  py::object prefixed =
      py::module_::import("cairn._prefixed").attr("PrefixedWriteBatch");
  if (py::isinstance(batch, prefixed)) b = batch.attr("_batch");
  if (!py::isinstance<PyWriteBatch>(b)) {
    throw py::type_error("batch must be a cairn.WriteBatch, not " +
                         std::string(Py_TYPE(batch.ptr())->tp_name));
  }
  return b.cast<PyWriteBatch&>();
}

}  // namespace

PyCluster::PyCluster(const py::object& nodes, const py::object& options,
                     const py::dict& keyword_options) {
  OptionsHolder holder;
  if (!nodes.is_none()) {
    if (!PyUnicode_Check(nodes.ptr())) {
      throw py::type_error(
          "nodes must be a str (\"id@host:port,...\"), not " +
          std::string(Py_TYPE(nodes.ptr())->tp_name));
    }
    py::dict d;
    d["cluster.nodes"] = nodes;
    ApplyOptions(holder.options, d);
  }
  ApplyOptions(holder.options, options);
  ApplyKeywordOptions(holder.options, keyword_options);
  cairn_cluster_t* cluster = nullptr;
  char* err = nullptr;
  cairn_status_t s;
  {
    py::gil_scoped_release nogil;
    s = cairn_cluster_open(holder.options, &cluster, &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err);
  state_ = std::make_shared<ClusterState>(cluster);
}

py::object PyCluster::Get(const py::handle& key, const py::object& dflt) {
  BytesArg k;
  k.InitOrThrow(key.ptr(), "key");
  char* value = nullptr;
  size_t len = 0;
  char* err = nullptr;
  cairn_status_t s = CallCluster(
      *state_,
      [&](cairn_cluster_t* c, char** e) {
        return cairn_cluster_get(c, k.data(), k.size(), &value, &len, e);
      },
      &err);
  if (s == CAIRN_NOT_FOUND) {
    cairn_free(err);
    return dflt;
  }
  if (s != CAIRN_OK) ThrowStatus(s, err);
  py::bytes out(value, len);
  cairn_free(value);
  return out;
}

bool PyCluster::Contains(const py::handle& key) {
  return !Get(key, py::none()).is_none();
}

void PyCluster::Put(const py::handle& key, const py::handle& value,
                    bool sync) {
  BytesArg k;
  k.InitOrThrow(key.ptr(), "key");
  BytesArg v;
  v.InitOrThrow(value.ptr(), "value");
  WriteOptions options(sync);
  CallOrThrow(*state_, "", [&](cairn_cluster_t* c, char** err) {
    return cairn_cluster_put(c, options.get(), k.data(), k.size(), v.data(),
                             v.size(), err);
  });
}

void PyCluster::Delete(const py::handle& key, bool sync) {
  BytesArg k;
  k.InitOrThrow(key.ptr(), "key");
  WriteOptions options(sync);
  CallOrThrow(*state_, "", [&](cairn_cluster_t* c, char** err) {
    return cairn_cluster_delete(c, options.get(), k.data(), k.size(), err);
  });
}

void PyCluster::Write(const py::handle& batch, bool sync) {
  BatchOf(batch).WriteTo(*state_, sync);
}

py::object PyCluster::Scan(const py::handle& start, const py::handle& end,
                           const py::handle& limit) {
  const auto n = static_cast<uint32_t>(UnsignedArg(limit, "limit", kMaxLimit));
  BytesArg from;
  from.InitOrThrow(start.ptr(), "start");
  BytesArg to;
  if (!end.is_none()) to.InitOrThrow(end.ptr(), "end");
  std::vector<std::pair<std::string, std::string>> entries;
  unsigned char truncated = 0;
  CallOrThrow(*state_, "", [&](cairn_cluster_t* c, char** err) {
    return cairn_cluster_scan(
        c, from.data(), from.size(), to.data(), to.size(), n,
        [](void* arg, const char* key, size_t keylen, const char* value,
           size_t valuelen) {
          static_cast<decltype(entries)*>(arg)->emplace_back(
              std::string(key, keylen), std::string(value, valuelen));
        },
        &entries, &truncated, err);
  });
  py::object result =
      py::module_::import("cairn._cluster").attr("ScanResult")();
  auto list = py::reinterpret_borrow<py::list>(result);  // a list subclass
  for (const auto& [k, v] : entries) {
    list.append(py::make_tuple(py::bytes(k), py::bytes(v)));
  }
  result.attr("truncated") = py::bool_(truncated != 0);
  return result;
}

py::object PyCluster::Nodes() {
  return JsonCall(*state_, "nodes", cairn_cluster_nodes);
}

py::object PyCluster::Stats() {
  return JsonCall(*state_, "stats", cairn_cluster_stats);
}

py::list PyCluster::Audit(const py::object& method, const py::handle& since,
                          const py::handle& until, const py::handle& limit) {
  std::string name;
  if (!method.is_none()) {
    if (!PyUnicode_Check(method.ptr())) {
      throw py::type_error("method must be a str or None, not " +
                           std::string(Py_TYPE(method.ptr())->tp_name));
    }
    name = method.cast<std::string>();
    if (name.find('\0') != std::string::npos) {
      ThrowError(ErrorClass(CAIRN_INVALID_ARGUMENT),
                 "audit: method contains a NUL byte");
    }
  }
  const int64_t since_us = MicrosArg(since, "since", 0);
  // until_us 0 means "no upper bound" to the C ABI.
  const int64_t until_us = MicrosArg(until, "until", 0);
  const auto n = static_cast<uint32_t>(UnsignedArg(limit, "limit", kMaxLimit));
  std::string lines;
  CallOrThrow(*state_, "audit", [&](cairn_cluster_t* c, char** err) {
    char* jsonl = nullptr;
    cairn_status_t s =
        cairn_cluster_audit(c, method.is_none() ? nullptr : name.c_str(),
                            since_us, until_us, n, &jsonl, err);
    if (jsonl != nullptr) {
      lines.assign(jsonl);
      cairn_free(jsonl);
    }
    return s;
  });
  py::list out;
  size_t at = 0;
  while (at < lines.size()) {
    size_t nl = lines.find('\n', at);
    if (nl == std::string::npos) nl = lines.size();
    if (nl > at) out.append(ParseJson(lines.substr(at, nl - at)));
    at = nl + 1;
  }
  return out;
}

namespace {

constexpr const char* kClusterDoc = R"(A routing client of a group of Cairn nodes.

Cluster(nodes=None, *, options=None, **more_options)

nodes is "id@host:port,..." (the option cluster.nodes): each a node serving
clients, e.g. a database opened with replication_node_id and
replication_listen, or `cairn serve`. options maps cluster.* and audit.*
option names to values, e.g. {"cluster.mode": "standby"}; as for DB, a
keyword that is not an option name has its first '_' read as '.', so
cluster_mode="standby" sets "cluster.mode" and audit_path=... sets
"audit.path" (keywords are applied after the options dict, nodes before
it). Options that do not validate (an unknown mode or choice, duplicate node
ids, a slot table that does not cover every slot, ...) raise
InvalidArgumentError naming the option. Opening does not wait for any node.

Each call goes to the node that cluster.mode and cluster.master_choice name,
and on a node fault to the next one. When no node can serve it, it raises
UnavailableError whose message lists every node and why. Every call runs
without the GIL. A Cluster is a context manager and may be used from several
threads; after os.fork() the child must open its own.)";

constexpr const char* kScanDoc =
    R"(scan(start=b"", end=None, limit=1000) -> ScanResult

The entries with keys in [start, end) (end None: to the last key), at most
limit (1 or more; the node caps it at its node.max_scan_entries), in key
order, read at the node that start routes to. The result is a list of
(key, value) tuples whose .truncated is True when the scan stopped at the
limit: continue from the last key + b"\0".)";

constexpr const char* kNodesDoc = R"(nodes() -> list[dict]

Every configured node as this client sees it, in cluster.nodes order:
'id', 'address', 'state' ('unknown', 'up' or 'tagged'), 'failures' (the
SPEC C3 counter), 'tag_expiry_us' (when a tag lapses, microseconds since
the epoch; None unless tagged), 'times_tagged', 'last_error',
'status_known', 'capacity' (W), 'cached_bytes' (C), 'response_us' (R),
'ranked' and 'score' (the C4 load ranking; None unless ranked), 'serves',
'master', 'why' and 'standby_position' (None in active mode).)";

constexpr const char* kAuditDoc =
    R"(audit(method=None, since=None, until=None, limit=1000) -> list[dict]

The audit records (audit.path must be set) of method ('get', 'put',
'delete', 'batch', 'scan'; None: every method) that started in
[since, until) (each a datetime, seconds since the Unix epoch as an int or
float, or None: no bound), oldest first, at most limit. Each record is a
dict: 'start_us', 'end_us', 'elapsed_us', 'client_id', 'client_address',
'method', 'params', 'shard', 'node', 'outcome', 'message'. An unknown method,
or a client without audit.path, raises InvalidArgumentError.)";

}  // namespace

void DefineCluster(py::module_& m) {
  py::class_<PyCluster>(m, "Cluster", kClusterDoc)
      .def(py::init([](const py::object& nodes, const py::object& options,
                       const py::kwargs& keyword_options) {
             return std::make_unique<PyCluster>(nodes, options,
                                                keyword_options);
           }),
           "nodes"_a = py::none(), py::kw_only(), "options"_a = py::none())
      .def("get", &PyCluster::Get, "key"_a, "default"_a = py::none(),
           "get(key, default=None) -> bytes | default\n\n"
           "The value stored under key, or default when the key is missing.")
      .def("__contains__", &PyCluster::Contains, "key"_a,
           "key in cluster: True when key has a value.")
      .def("put", &PyCluster::Put, "key"_a, "value"_a, py::kw_only(),
           "sync"_a = false,
           "put(key, value, *, sync=False) -> None\n\n"
           "Stores value under key at the node the request routes to; "
           "sync=True makes that node commit it to disk before it answers.")
      .def("delete", &PyCluster::Delete, "key"_a, py::kw_only(),
           "sync"_a = false,
           "delete(key, *, sync=False) -> None\n\n"
           "Deletes key (deleting a missing key is not an error).")
      .def(
          "write_batch",
          [](PyCluster& self, bool sync, bool transaction) {
            return std::make_unique<PyWriteBatch>(self.state(), sync,
                                                  transaction);
          },
          py::kw_only(), "sync"_a = false, "transaction"_a = false,
          "A WriteBatch whose write() goes through this cluster (atomic at "
          "the node its first key routes to); as a context manager it "
          "writes on exit (with transaction=True, only if the block did not "
          "raise).")
      .def("write", &PyCluster::Write, "batch"_a, py::kw_only(),
           "sync"_a = false,
           "write(batch, *, sync=False) -> None\n\n"
           "Applies the operations of batch (any WriteBatch) atomically at "
           "the node its first key routes to, and leaves the batch as it "
           "is. An empty batch raises InvalidArgumentError.")
      .def("scan", &PyCluster::Scan, "start"_a = py::bytes(),
           "end"_a = py::none(), "limit"_a = 1000, kScanDoc)
      .def("nodes", &PyCluster::Nodes, kNodesDoc)
      .def("stats", &PyCluster::Stats,
           "stats() -> dict\n\n"
           "The client's counters: requests, faults, retries, refusals, "
           "heartbeats, reports_sent, reports_failed, reports_dropped, "
           "audit_records, audit_failures.")
      .def("audit", &PyCluster::Audit, "method"_a = py::none(),
           "since"_a = py::none(), "until"_a = py::none(), "limit"_a = 1000,
           kAuditDoc)
      .def("close", &PyCluster::Close,
           "Stops the client's background threads and closes it "
           "(idempotent); calls afterwards raise ClosedError. Waits for "
           "calls in flight. Runs without the GIL.")
      .def_property_readonly("closed", &PyCluster::closed)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyCluster& self, py::handle, py::handle, py::handle) {
             self.Close();
             return false;
           })
      .def("__repr__", [](const PyCluster& self) {
        return std::string("<cairn.Cluster") +
               (self.closed() ? " closed>" : ">");
      });
  m.attr("Cluster").attr("__module__") = "cairn";
}

}  // namespace cairn::python
