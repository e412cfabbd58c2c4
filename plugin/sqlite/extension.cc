// Entry point of libcairn_sqlite.so, a SQLite loadable extension:
//   sqlite3> .load ./libcairn_sqlite
//   python>  conn.load_extension("./libcairn_sqlite")
// SQLite derives the entry point name sqlite3_cairnsqlite_init from the file
// name. It loads libcairn.so.1 (cairn_lib.h), then registers the `cairn`
// module and the cairn_stats / cairn_property functions on the connection.
#include <sqlite3ext.h>

#include <string>

#include "plugin/sqlite/cairn_lib.h"
#include "plugin/sqlite/vtab.h"

SQLITE_EXTENSION_INIT1

namespace {

void DestroyConnectionState(void* p) {
  delete static_cast<cairn::sqlite::ConnectionState*>(p);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int sqlite3_cairnsqlite_init(
    sqlite3* db, char** err, const sqlite3_api_routines* api) {
  SQLITE_EXTENSION_INIT2(api);
  using namespace cairn::sqlite;
  std::string error;
  const cairn_api_t* cairn = LoadCairn(
      reinterpret_cast<const void*>(&sqlite3_cairnsqlite_init), &error);
  if (cairn == nullptr) {
    *err = sqlite3_mprintf("%s", error.c_str());
    return SQLITE_ERROR;
  }
  auto* conn = new (std::nothrow) ConnectionState;
  if (conn == nullptr) return SQLITE_NOMEM;
  conn->api = cairn;
  // The module owns the connection state and frees it when the connection
  // closes (after every table of the connection is disconnected).
  int rc = sqlite3_create_module_v2(db, "cairn", &CairnModule(), conn,
                                    DestroyConnectionState);
  if (rc != SQLITE_OK) return rc;  // SQLite called the destructor
  rc = RegisterFunctions(db, conn);
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("cairn: registering functions: %s",
                           sqlite3_errmsg(db));
  }
  return rc;
}
