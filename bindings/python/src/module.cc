// _cairn: the extension behind the `cairn` package. Every call goes through
// the C ABI (api/include/cairn/cairn.h), so Python sees exactly what C hosts
// see. The package's __init__.py re-exports these names; cairn/errors.py
// defines the exceptions raised here.
#include <pybind11/pybind11.h>

#include <string>

#include "cairn/cairn.h"
#include "db_state.h"
#include "errors.h"
#include "py_cluster.h"
#include "py_db.h"
#include "py_get.h"
#include "py_iterator.h"
#include "py_raw_iterator.h"
#include "py_snapshot.h"
#include "py_write_batch.h"
#include "read_options.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace cairn::python {
namespace {

// tp_iternext for cairn.Iterator: NULL without an error ends the iteration,
// so the end costs no C++ exception.
PyObject* IteratorNext(PyObject* self) {
  try {
    auto& it = py::cast<PyIterator&>(py::handle(self));
    return it.Next().release().ptr();
  } catch (py::error_already_set& e) {
    e.restore();
  } catch (py::builtin_exception& e) {
    e.set_error();
  } catch (const std::exception& e) {
    PyErr_SetString(PyExc_RuntimeError, e.what());
  }
  return nullptr;
}

IteratorArgs MakeIteratorArgs(py::object start, py::object stop,
                              bool include_start, bool include_stop,
                              py::object prefix, bool reverse, bool include_key,
                              bool include_value,
                              const py::object& verify_checksums,
                              const py::object& fill_cache,
                              const py::bytes& db_prefix) {
  return IteratorArgs{std::move(start),
                      std::move(stop),
                      include_start,
                      include_stop,
                      std::move(prefix),
                      reverse,
                      include_key,
                      include_value,
                      ReadFlagsOrThrow(verify_checksums, fill_cache),
                      std::string(db_prefix)};
}

// The C snapshot to iterate at: none, or a live one of this database.
const cairn_snapshot_t* SnapshotFor(const DbState* state,
                                    const py::object& snapshot) {
  if (snapshot.is_none()) return nullptr;
  if (!py::isinstance<PySnapshot>(snapshot)) {
    throw py::type_error("snapshot must be a cairn.Snapshot or None");
  }
  const auto& snap = snapshot.cast<const PySnapshot&>();
  if (snap.state().get() != state) {
    ThrowError(ErrorClass(CAIRN_INVALID_ARGUMENT),
               "snapshot belongs to a different database");
  }
  return snap.CheckedOrThrow();
}

constexpr const char* kIteratorDoc =
    R"(Iterates over a key range, in key order (or reverse order).

start/stop bound the keys (start inclusive and stop exclusive by default;
see include_start/include_stop); prefix selects the keys that start with it
and cannot be combined with start/stop. Yields (key, value) tuples, or only
keys / values with include_value=False / include_key=False. The iterator sees
the database as of its creation (or as of `snapshot`).

The iterator is a cursor between entries, as in plyvel: next() / prev()
step forward / back (swapped with reverse=True), seek_to_start() and
seek_to_stop() move to either end of the range, seek(target) to just before
the first key >= target. verify_checksums checks block checksums (None: the
database's default); fill_cache=False keeps a one-off scan from evicting hot
data (None: True).)";

constexpr const char* kRawIteratorDoc =
    R"(A raw iterator over every key (LevelDB's Iterator, as plyvel's RawIterator).

Not positioned until seek_to_first(), seek_to_last(), seek(target) or
seek_for_prev(target); valid() tells whether it is on an entry. key(),
value(), item(), next() and prev() raise IteratorInvalidError when it is
not. verify_checksums / fill_cache as for iterator().)";

// The keyword arguments of DB.iterator and Snapshot.iterator after
// `snapshot`-independent ones; _db_prefix is for prefixed views
// (cairn/_prefixed.py), not part of the documented API.
#define CAIRN_ITERATOR_KWARGS                                       \
  py::kw_only(), "reverse"_a = false, "start"_a = py::none(),       \
                 "stop"_a = py::none(), "include_start"_a = true,   \
                 "include_stop"_a = false, "prefix"_a = py::none(), \
                 "include_key"_a = true, "include_value"_a = true,  \
                 "verify_checksums"_a = py::none(),                 \
                 "fill_cache"_a = py::none()

constexpr const char* kAddCacheInstanceDoc =
    R"(add_cache_instance(capacity_bytes) -> int

Adds a shared-memory cache instance of capacity_bytes (64 KiB .. 32 GiB, and
no more than /dev/shm has free) to the cache's consistent-hash ring and
returns its id (ids are never reused). The keys the ring now places on it
migrate gradually while reads and writes go on; watch migration(). If a
migration is running, it is first finished at full speed (the call waits).
Runs without the GIL.

Raises InvalidArgumentError for a capacity out of range (or negative),
OverflowError above 2**64 - 1, TypeError for a non-int, NotSupportedError
when the cache is disabled (cache.capacity_mb = 0), UnavailableError after
close().)";

constexpr const char* kRemoveCacheInstanceDoc =
    R"(remove_cache_instance(id) -> None

Removes cache instance `id` from the ring: its items migrate to the other
instances and its shared-memory segment is freed when the migration ends.
If a migration is running, it is first finished (the call waits). Runs
without the GIL.

Raises InvalidArgumentError for an unknown id, an instance already being
removed or the last instance, NotSupportedError when the cache is disabled,
UnavailableError after close().)";

constexpr const char* kTransferDoc = R"(transfer(from_id, to_id) -> None

Moves now (instead of gradually) everything instance from_id holds that the
current ring places on instance to_id. from_id may be an instance being
removed; to_id must be in the ring. Runs without the GIL.

Raises InvalidArgumentError for an unknown id, the same id twice or a to_id
being removed, NotSupportedError when the cache is disabled,
UnavailableError after close().)";

constexpr const char* kMigrationDoc = R"(migration() -> dict

The 'cairn.migration' property, parsed: 'state' ('stable' or 'migrating'),
the ring 'epoch', the member 'instances', items moved ('moved_lazy' on
misses, 'moved_mover' by the background mover at
migration.rate_items_per_sec, 'moved_transfer' by transfer(), 'moved_total'),
'remaining_estimate', and 'started_ms' / 'finished_ms' (ms since the Unix
epoch; 'finished_ms' is 0 while migrating). With the cache disabled:
{'enabled': False, 'state': 'stable'}. Runs without the GIL.)";

constexpr const char* kCheckDoc = R"(check() -> dict

Verifies the whole database (cairn_check): every live table file's blocks
against their checksums, the write-ahead logs and the manifest, the format of
every record, op-log entry and metadata value, and that every cached item
matches LevelDB. Returns the report, parsed: 'clean' (True when nothing is
damaged), what was verified ('tables', 'write_ahead_logs', 'manifest',
'records', 'cache') and 'problems', each with its 'kind', 'file' or 'key' and
'message'; a damaged table block names the keys around it
('lost_keys_between'), the records a LevelDB repair would lose.

Damage is reported in the result, not raised: check report['clean']. Raises
only when the check cannot run (UnavailableError after close(), StorageIOError
...). Reads everything; run it on a quiet database. Runs without the GIL.)";

constexpr const char* kReplicationDoc = R"(replication() -> dict

The 'cairn.replication' property, parsed: this node's id, mode, listen_port
and last sequence, and per peer its state, failure count, acknowledged
sequence, lag and digest agreement; {'enabled': False} when the database was
opened without replication_node_id. Runs without the GIL.)";

constexpr const char* kAddPeerDoc = R"(add_peer(spec) -> None

Adds the peer spec, "id@host:port" (as in replication.peers), while the
database runs; it gets a full resync, then the op log. It is not remembered
across a reopen (list it in replication.peers too). InvalidArgumentError for a
malformed spec, this node's id or an id already a peer, and when replication
is off. Runs without the GIL.)";

constexpr const char* kRemovePeerDoc = R"(remove_peer(id) -> None

Stops replicating to and from peer id. NotFoundError for an unknown id.
Runs without the GIL.)";

constexpr const char* kResyncPeerDoc = R"(resync_peer(id) -> None

Starts a full resync of peer id now and returns (progress in replication()).
NotFoundError for an unknown id. Runs without the GIL.)";

constexpr const char* kCompareDoc = R"(compare(*, timeout_ms=5000) -> dict

Compares anti-entropy digests with every peer now (waiting at most timeout_ms
for their answers) and pushes the records of the buckets that differ. Returns
the report, parsed: 'agree' (True when every peer answered and agreed before
the repair) and 'peers', each with its 'id', 'agree', 'differing_buckets' and
'records_pushed', or the 'error' that kept it from answering. Disagreement is
reported, not raised. Runs without the GIL.)";

void DefineDb(py::module_& m) {
  py::class_<PyDb> db(m, "DB", R"(An open Cairn database.

DB(path, *, create_if_missing=False, error_if_exists=False, options=None,
   **more_options)

options maps Cairn option names to values, e.g. {"max_key_size": 1024}.
Options may also be given as keywords: a keyword that is not an option name
has its first '_' read as '.', so replication_node_id=1 sets
"replication.node_id" (keywords are applied after the options dict).
Keys and values are bytes (any bytes-like object is accepted; str is not).
One process owns a database at a time: opening it elsewhere raises
BusyError naming the owner's pid. A DB is a context manager and may be used
from several threads; after os.fork() the child must open its own.)");
  db.def(py::init([](const py::object& path, bool create_if_missing,
                     bool error_if_exists, const py::object& options,
                     const py::kwargs& keyword_options) {
           return std::make_unique<PyDb>(path, create_if_missing,
                                         error_if_exists, options,
                                         keyword_options);
         }),
         "path"_a, py::kw_only(), "create_if_missing"_a = false,
         "error_if_exists"_a = false, "options"_a = py::none())
      .def("multi_get", &PyDb::MultiGet, "keys"_a,
           "multi_get(keys) -> list: the value of each key, or None when "
           "missing.\n"
           "Runs without the GIL.")
      .def(
          "write_batch",
          [](PyDb& self, bool sync, bool transaction, py::object replication,
             py::object sync_acks) {
            return std::make_unique<PyWriteBatch>(
                self.state(), sync, transaction,
                ReplicaChoiceOrThrow(replication.ptr(), sync_acks.ptr()));
          },
          py::kw_only(), "sync"_a = false, "transaction"_a = false,
          "replication"_a = py::none(), "sync_acks"_a = py::none(),
          "A WriteBatch; as a context manager it writes on exit (with "
          "transaction=True, only if the block did not raise). sync, "
          "replication and sync_acks apply to each write() as to DB.put.")
      .def(
          "iterator",
          [](PyDb& self, bool reverse, py::object start, py::object stop,
             bool include_start, bool include_stop, py::object prefix,
             bool include_key, bool include_value, py::object verify_checksums,
             py::object fill_cache, py::object snapshot, py::bytes db_prefix) {
            const cairn_snapshot_t* snap =
                SnapshotFor(self.state().get(), snapshot);
            return std::make_unique<PyIterator>(
                self.state(),
                MakeIteratorArgs(std::move(start), std::move(stop),
                                 include_start, include_stop, std::move(prefix),
                                 reverse, include_key, include_value,
                                 verify_checksums, fill_cache, db_prefix),
                snap);
          },
          CAIRN_ITERATOR_KWARGS, "snapshot"_a = py::none(),
          "_db_prefix"_a = py::bytes(), kIteratorDoc)
      .def(
          "raw_iterator",
          [](PyDb& self, py::object verify_checksums, py::object fill_cache,
             py::object snapshot, py::bytes db_prefix) {
            const cairn_snapshot_t* snap =
                SnapshotFor(self.state().get(), snapshot);
            return std::make_unique<PyRawIterator>(
                self.state(), ReadFlagsOrThrow(verify_checksums, fill_cache),
                snap, std::string(db_prefix));
          },
          py::kw_only(), "verify_checksums"_a = py::none(),
          "fill_cache"_a = py::none(), "snapshot"_a = py::none(),
          "_db_prefix"_a = py::bytes(), kRawIteratorDoc)
      .def(
          "__iter__",
          [](PyDb& self) {
            return std::make_unique<PyIterator>(self.state(), IteratorArgs{},
                                                nullptr);
          },
          "for key, value in db: every entry in key order (db.iterator()).")
      .def(
          "prefixed_db",
          [](py::object self, py::object prefix) {
            return py::module_::import("cairn._prefixed")
                .attr("PrefixedDB")(self, prefix);
          },
          "prefix"_a,
          "A view of the keys that start with prefix, seen without it "
          "(cairn.PrefixedDB).")
      .def("compact_range", &PyDb::CompactRange, "start"_a = py::none(),
           "stop"_a = py::none(),
           "Compacts the stored data of the keys in [start, stop) (None: "
           "open end; both None: the whole database). Runs without the GIL.")
      .def("approximate_size", &PyDb::ApproximateSize, "start"_a, "stop"_a,
           "LevelDB's estimate of the bytes on disk used by the keys in "
           "[start, stop); recent writes still in memory count as 0.")
      .def("approximate_sizes", &PyDb::ApproximateSizes,
           "approximate_sizes(*ranges) -> list: approximate_size of each "
           "(start, stop) range, in one call.")
      .def(
          "snapshot",
          [](PyDb& self) { return std::make_unique<PySnapshot>(self.state()); },
          "A consistent point-in-time view (a context manager).")
      .def("property", &PyDb::Property, "name"_a,
           "The string value of a property: 'cairn.stats', 'cairn.options', "
           "'cairn.cache', 'cairn.migration', 'leveldb.stats', ...; "
           "NotFoundError for an unknown name. Runs without the GIL.")
      .def("stats", &PyDb::Stats, "The 'cairn.stats' property, parsed (dict).")
      .def("cache_stats", &PyDb::CacheStats,
           "The 'cairn.cache' property, parsed (dict): per instance and in "
           "total, capacity, use and hit counters, and each instance's id, "
           "role ('member' or 'draining'), share of the ring and state; "
           "{'enabled': False} when the cache is disabled (NotSupportedError "
           "from a libcairn without a cache).")
      .def("add_cache_instance", &PyDb::AddCacheInstance, "capacity_bytes"_a,
           kAddCacheInstanceDoc)
      .def("remove_cache_instance", &PyDb::RemoveCacheInstance, "id"_a,
           kRemoveCacheInstanceDoc)
      .def("transfer", &PyDb::Transfer, "from_id"_a, "to_id"_a, kTransferDoc)
      .def("migration", &PyDb::Migration, kMigrationDoc)
      .def("check", &PyDb::Check, kCheckDoc)
      .def("replication", &PyDb::Replication, kReplicationDoc)
      .def("add_peer", &PyDb::AddPeer, "spec"_a, kAddPeerDoc)
      .def("remove_peer", &PyDb::RemovePeer, "id"_a, kRemovePeerDoc)
      .def("resync_peer", &PyDb::ResyncPeer, "id"_a, kResyncPeerDoc)
      .def("compare", &PyDb::Compare, py::kw_only(), "timeout_ms"_a = 5000,
           kCompareDoc)
      .def("close", &PyDb::Close,
           "Closes the database (idempotent). Open iterators and snapshots "
           "become unusable. Runs without the GIL.")
      .def_property_readonly("closed", &PyDb::closed)
      .def_property_readonly("path", &PyDb::path)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyDb& self, py::handle, py::handle, py::handle) {
             self.Close();
             return false;
           })
      .def("__repr__", [](const PyDb& self) {
        return "<cairn.DB path=" + std::string(py::repr(py::str(self.path()))) +
               (self.closed() ? " closed>" : ">");
      });
  AddFastDbMethods(db.ptr());
}

void DefineWriteBatch(py::module_& m) {
  py::class_<PyWriteBatch>(
      m, "WriteBatch",
      "Operations applied atomically by write(); made by DB.write_batch() "
      "or Cluster.write_batch().")
      .def("put", &PyWriteBatch::Put, "key"_a, "value"_a, "Adds a put.")
      .def("delete", &PyWriteBatch::Delete, "key"_a, "Adds a delete.")
      .def("clear", &PyWriteBatch::Clear, "Drops every operation.")
      .def("__len__", &PyWriteBatch::Size, "The number of operations.")
      .def(
          "append",
          [](PyWriteBatch& self, py::handle other) {
            // A prefixed view's batch (cairn/_prefixed.py) wraps a WriteBatch
            // whose keys are already complete.
            py::object prefixed = py::module_::import("cairn._prefixed")
                                      .attr("PrefixedWriteBatch");
            py::object batch = py::reinterpret_borrow<py::object>(other);
            if (py::isinstance(other, prefixed)) batch = other.attr("_batch");
            if (!py::isinstance<PyWriteBatch>(batch)) {
              throw py::type_error("append: other must be a WriteBatch, not " +
                                   std::string(Py_TYPE(other.ptr())->tp_name));
            }
            self.Append(batch.cast<const PyWriteBatch&>());
          },
          "other"_a,
          "Appends a copy of every operation of other (a WriteBatch, prefixed "
          "or not; its keys are taken as they are stored).")
      .def("approximate_size", &PyWriteBatch::ApproximateSize,
           "The key and value bytes the batch holds.")
      .def(
          "write", &PyWriteBatch::Write,
          "Applies the batch atomically, then clears it. Runs without the GIL.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyWriteBatch& self, py::handle type, py::handle, py::handle) {
             self.Exit(type);
             return false;
           });
}

void DefineIterator(py::module_& m) {
  py::class_<PyIterator> it(
      m, "Iterator",
      "A two-way iterator over a key range; made by DB.iterator().");
  it.def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](PyIterator& self) {
             py::object item = self.Next();
             if (!item) throw py::stop_iteration();
             return item;
           })
      .def(
          "prev",
          [](PyIterator& self) {
            py::object item = self.Prev();
            if (!item) throw py::stop_iteration();
            return item;
          },
          "The entry before the cursor (after it with reverse=True), moving "
          "the "
          "cursor back; StopIteration at the start of the range.")
      .def("seek_to_start", &PyIterator::SeekToStart,
           "Moves the cursor before the first entry of the range.")
      .def("seek_to_stop", &PyIterator::SeekToStop,
           "Moves the cursor after the last entry of the range.")
      .def("seek", &PyIterator::Seek, "target"_a,
           "Moves the cursor just before the first key >= target (clamped to "
           "the range): next() then returns that key (with reverse=True, the "
           "last key < target).")
      .def("close", &PyIterator::Close,
           "Releases the iterator now; using it afterwards raises ClosedError.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyIterator& self, py::handle, py::handle, py::handle) {
             self.Close();
             return false;
           });
  reinterpret_cast<PyTypeObject*>(it.ptr())->tp_iternext = IteratorNext;
  PyType_Modified(reinterpret_cast<PyTypeObject*>(it.ptr()));

  py::class_<PyRawIterator>(m, "RawIterator", kRawIteratorDoc)
      .def("valid", &PyRawIterator::Valid, "True when positioned on an entry.")
      .def("seek_to_first", &PyRawIterator::SeekToFirst)
      .def("seek_to_last", &PyRawIterator::SeekToLast)
      .def("seek", &PyRawIterator::Seek, "target"_a,
           "Positions on the first key >= target.")
      .def("seek_for_prev", &PyRawIterator::SeekForPrev, "target"_a,
           "Positions on the last key <= target.")
      .def("next", &PyRawIterator::Next)
      .def("prev", &PyRawIterator::Prev)
      .def("key", &PyRawIterator::Key)
      .def("value", &PyRawIterator::Value)
      .def("item", &PyRawIterator::Item, "(key, value)")
      .def("close", &PyRawIterator::Close,
           "Releases the iterator now; using it afterwards raises ClosedError.")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PyRawIterator& self, py::handle, py::handle, py::handle) {
             self.Close();
             return false;
           });
}

void DefineSnapshot(py::module_& m) {
  py::class_<PySnapshot> snapshot(
      m, "Snapshot", "A consistent point-in-time view; made by DB.snapshot().");
  snapshot
      .def(
          "iterator",
          [](PySnapshot& self, bool reverse, py::object start, py::object stop,
             bool include_start, bool include_stop, py::object prefix,
             bool include_key, bool include_value, py::object verify_checksums,
             py::object fill_cache, py::bytes db_prefix) {
            const cairn_snapshot_t* snap = self.CheckedOrThrow();
            return std::make_unique<PyIterator>(
                self.state(),
                MakeIteratorArgs(std::move(start), std::move(stop),
                                 include_start, include_stop, std::move(prefix),
                                 reverse, include_key, include_value,
                                 verify_checksums, fill_cache, db_prefix),
                snap);
          },
          CAIRN_ITERATOR_KWARGS, "_db_prefix"_a = py::bytes(), kIteratorDoc)
      .def(
          "raw_iterator",
          [](PySnapshot& self, py::object verify_checksums,
             py::object fill_cache, py::bytes db_prefix) {
            const cairn_snapshot_t* snap = self.CheckedOrThrow();
            return std::make_unique<PyRawIterator>(
                self.state(), ReadFlagsOrThrow(verify_checksums, fill_cache),
                snap, std::string(db_prefix));
          },
          py::kw_only(), "verify_checksums"_a = py::none(),
          "fill_cache"_a = py::none(), "_db_prefix"_a = py::bytes(),
          kRawIteratorDoc)
      .def(
          "__iter__",
          [](PySnapshot& self) {
            const cairn_snapshot_t* snap = self.CheckedOrThrow();
            return std::make_unique<PyIterator>(self.state(), IteratorArgs{},
                                                snap);
          },
          "for key, value in snapshot: every entry as of the snapshot.")
      .def("release", &PySnapshot::Release,
           "Releases the snapshot (idempotent).")
      .def("close", &PySnapshot::Release, "Same as release().")
      .def_property_readonly("released", &PySnapshot::released)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](PySnapshot& self, py::handle, py::handle, py::handle) {
             self.Release();
             return false;
           });
  AddFastSnapshotMethods(snapshot.ptr());
}

#undef CAIRN_ITERATOR_KWARGS

}  // namespace
}  // namespace cairn::python

PYBIND11_MODULE(_cairn, m) {
  using namespace cairn::python;
  m.doc() = "Cairn's C ABI for Python; use the `cairn` package.";
  InstallForkHandler();
  LoadErrorClasses();
  DefineDb(m);
  DefineWriteBatch(m);
  DefineIterator(m);
  DefineSnapshot(m);
  DefineCluster(m);
  for (const char* name :
       {"DB", "WriteBatch", "Iterator", "RawIterator", "Snapshot"}) {
    m.attr(name).attr("__module__") = "cairn";
  }
  m.def(
      "destroy",
      [](const py::object& path) {
        std::string fs_path = FsPath(path);
        char* err = nullptr;
        cairn_status_t s;
        {
          py::gil_scoped_release nogil;
          s = cairn_destroy(fs_path.c_str(), &err);
        }
        if (s != CAIRN_OK) ThrowStatus(s, err, "destroy");
      },
      "path"_a,
      "Deletes the database at path (BusyError while it is open anywhere; "
      "nothing to do when it does not exist).");
  m.def(
      "gc_segments",
      [] {
        char* err = nullptr;
        uint32_t removed = 0;
        cairn_status_t s;
        {
          py::gil_scoped_release nogil;
          s = cairn_gc_segments(&removed, &err);
        }
        if (s != CAIRN_OK) ThrowStatus(s, err, "gc_segments");
        return removed;
      },
      "Removes this user's orphaned shared-memory cache segments (their "
      "database directory was deleted without destroy() and no live process "
      "owns them) and returns how many. Never touches a database open in "
      "any process, nor another user's segments. Each open also does this "
      "for a bounded number of segments.");
  m.def("repair", &Repair, "path"_a, py::kw_only(), "options"_a = py::none(),
        "Repairs the database at path (LevelDB's repair: salvages what the "
        "table and log files hold, reporting losses in <path>/LOG), then "
        "drops its shared-memory cache so the next open rebuilds it. "
        "BusyError while it is open; NotFoundError when it does not exist. "
        "options (as for DB) supplies block_size and compression. Runs "
        "without the GIL.");
  m.def(
      "version", [] { return std::string(cairn_version()); },
      "The version of the loaded libcairn, e.g. '0.1.0'.");
  // Test hooks: the status mapping for statuses no call can produce on
  // demand (timeouts, internal errors).
  m.def(
      "_raise_status",
      [](int status, const std::string& message) {
        ThrowStatus(static_cast<cairn_status_t>(status), nullptr, message);
      },
      "status"_a, "message"_a);
  m.def("_status_name", [](int status) {
    return std::string(cairn_status_name(static_cast<cairn_status_t>(status)));
  });
  m.def(
      "abi_version",
      [] { return py::make_tuple(cairn_abi_major(), cairn_abi_minor()); },
      "(major, minor) C ABI version of the loaded libcairn.");
}
