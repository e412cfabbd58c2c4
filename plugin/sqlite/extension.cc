// Entry point of libcairn_sqlite.so, a SQLite loadable extension:
//   sqlite3> .load ./libcairn_sqlite
//   python>  conn.load_extension("./libcairn_sqlite")
// SQLite derives the entry point name sqlite3_cairnsqlite_init from the file
// name. It loads libcairn.so.1 (cairn_lib.h), then registers the `cairn`
// module and the cairn_stats / cairn_property functions on the connection.
#include <sqlite3ext.h>

#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "engine/mutex.h"  // pthread-based, so TSan checks it
#include "plugin/sqlite/cairn_lib.h"
#include "plugin/sqlite/vtab.h"

SQLITE_EXTENSION_INIT1

namespace {

using cairn::sqlite::ConnectionRef;
using cairn::sqlite::ConnectionState;

// The state of connection `db`, made on its first load of the extension.
ConnectionRef StateFor(sqlite3* db, const cairn_api_t* api) {
  static cairn::Mutex mu;
  static std::map<sqlite3*, std::weak_ptr<ConnectionState>> states;
  cairn::MutexLock lock(&mu);
  for (auto it = states.begin(); it != states.end();) {
    it = it->second.expired() ? states.erase(it) : std::next(it);
  }
  if (ConnectionRef live = states[db].lock()) return live;
  auto state = std::make_shared<ConnectionState>();
  state->api = api;
  states[db] = state;
  return state;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int sqlite3_cairnsqlite_init(
    sqlite3* db, char** err, const sqlite3_api_routines* api) {
  // SQLITE_EXTENSION_INIT2, once: every connection passes the same table,
  // and rewriting the global while other threads read it is a data race.
  static std::once_flag api_set;
  std::call_once(api_set, [api] { SQLITE_EXTENSION_INIT2(api); });
  using namespace cairn::sqlite;
  std::string error;
  const cairn_api_t* cairn = LoadCairn(
      reinterpret_cast<const void*>(&sqlite3_cairnsqlite_init), &error);
  if (cairn == nullptr) {
    *err = sqlite3_mprintf("%s", error.c_str());
    return SQLITE_ERROR;
  }
  try {
    ConnectionRef conn = StateFor(db, cairn);
    // SQLite frees the module's reference when the connection closes or the
    // module is replaced (by loading the extension again).
    int rc =
        sqlite3_create_module_v2(db, "cairn", &CairnModule(),
                                 new ConnectionRef(conn), DeleteConnectionRef);
    if (rc != SQLITE_OK) return rc;  // SQLite called the destructor
    rc = RegisterFunctions(db, conn);
    if (rc != SQLITE_OK) {
      *err = sqlite3_mprintf("cairn: registering functions: %s",
                             sqlite3_errmsg(db));
    }
    return rc;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}
