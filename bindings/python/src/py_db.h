// PyDb: cairn.DB, an open Cairn database.
//
// Opening, closing, multi_get, batch writes, properties and cache-instance
// changes release the GIL; single gets, puts and deletes do not (a LevelDB
// point operation costs about what releasing and retaking the GIL does),
// except sync puts/deletes, which wait for an fsync. Properties release it
// because the cache's ("cairn.cache", "cairn.migration", the cache totals in
// "cairn.stats") wait for the cache's change lock, which an add, remove or
// transfer holds while it finishes a running migration. get, __contains__, put
// and delete are raw METH_FASTCALL methods (py_get.cc) to keep pybind11's
// dispatch off the hot path.
//
// Thread safety: any thread may use a DB; close() waits for calls running
// without the GIL. See db_state.h for close and fork rules.
#ifndef CAIRN_BINDINGS_PYTHON_PY_DB_H_
#define CAIRN_BINDINGS_PYTHON_PY_DB_H_

#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <string>

#include "db_state.h"

namespace cairn::python {

// Owns a cairn_options_t while a DB opens (or a repair runs).
struct OptionsHolder {
  cairn_options_t* options = cairn_options_create();
  ~OptionsHolder() { cairn_options_destroy(options); }
  OptionsHolder() = default;
  OptionsHolder(const OptionsHolder&) = delete;
  OptionsHolder& operator=(const OptionsHolder&) = delete;
};

// Sets every option of the dict `options` (None: nothing) on `out`; values
// are spelled as engine/options.cc parses them. TypeError for a non-dict,
// a non-str name or a value that is not str/int/float/bool;
// InvalidArgumentError for an unknown name or a bad value.
void ApplyOptions(cairn_options_t* out, const pybind11::object& options);

// Sets the keyword options of DB(path, **options): a name is used as is
// when it is an option, else with its first '_' read as '.' (so
// replication_node_id=1 sets "replication.node_id"); otherwise
// InvalidArgumentError naming it. Values as for ApplyOptions.
void ApplyKeywordOptions(cairn_options_t* out, const pybind11::dict& options);

// os.fsencode(path), rejecting embedded NUL bytes (ValueError).
std::string FsPath(const pybind11::object& path);

// cairn.repair(path, options=None) (py_maintenance.cc).
void Repair(const pybind11::object& path, const pybind11::object& options);

class PyDb {
 public:
  PyDb(const pybind11::object& path, bool create_if_missing,
       bool error_if_exists, const pybind11::object& options,
       const pybind11::dict& keyword_options = pybind11::dict());
  PyDb(const PyDb&) = delete;
  PyDb& operator=(const PyDb&) = delete;

  pybind11::list MultiGet(const pybind11::iterable& keys);
  std::string Property(const std::string& name);
  // Property(), or nullopt when this libcairn does not provide `name`
  // (CAIRN_NOT_FOUND).
  std::optional<std::string> OptionalProperty(const std::string& name);
  pybind11::object Stats();
  pybind11::object CacheStats();
  pybind11::object Migration();  // "cairn.migration", parsed
  pybind11::object Check();      // cairn_check's report, parsed

  // Cache instances (C ABI 1.1; py_cache.cc). Each runs without the GIL:
  // a change made while a migration runs first finishes that migration.
  // Arguments are Python ints (TypeError otherwise, bool included);
  // negative ones raise InvalidArgumentError (a ValueError), ones too large
  // for the C type OverflowError, before anything reaches the C ABI.
  uint32_t AddCacheInstance(const pybind11::handle& capacity_bytes);
  void RemoveCacheInstance(const pybind11::handle& id);
  void Transfer(const pybind11::handle& from_id, const pybind11::handle& to_id);

  // Maintenance (C ABI 1.2; py_maintenance.cc), each without the GIL.
  // Bounds are bytes-like or None (open end).
  void CompactRange(const pybind11::object& start,
                    const pybind11::object& stop);
  uint64_t ApproximateSize(const pybind11::handle& start,
                           const pybind11::handle& stop);
  pybind11::list ApproximateSizes(const pybind11::args& ranges);

  // Replication (C ABI 1.3; py_replication.cc). Each runs without the GIL.
  pybind11::object Replication();  // "cairn.replication", parsed
  void AddPeer(const std::string& spec);
  void RemovePeer(const pybind11::handle& id);
  void ResyncPeer(const pybind11::handle& id);
  pybind11::object Compare(const pybind11::handle& timeout_ms);

  void Close() { state_->Close(); }
  bool closed() const { return state_->closed(); }
  const std::string& path() const { return state_->path(); }
  const std::shared_ptr<DbState>& state() const { return state_; }

 private:
  std::shared_ptr<DbState> state_;
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_DB_H_
