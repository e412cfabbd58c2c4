// SQL functions over a table's store:
//   cairn_stats(table)          -> the "cairn.stats" JSON of its store
//   cairn_property(table, name) -> any Cairn property ("cairn.cache",
//                                  "cairn.options", "leveldb.stats", ...)
//                                 and "sqlite.stats", this connection's
//                                 counters of the table itself (JSON)
// `table` is a cairn table's name, optionally schema-qualified ("main.kv").
#include <sqlite3ext.h>

#include <new>
#include <string>
#include <string_view>

#include "plugin/sqlite/vtab.h"

namespace cairn::sqlite {
namespace {

// The table's own counters, kept by the extension rather than the store.
constexpr std::string_view kTableStats = "sqlite.stats";

// Makes SQLite connect the table if this connection has not used it yet
// (virtual tables are connected on first use).
void ConnectTable(sqlite3* db, const std::string& name) {
  size_t dot = name.find('.');
  char* sql =
      dot == std::string::npos
          ? sqlite3_mprintf("SELECT 1 FROM \"%w\" WHERE 0", name.c_str())
          : sqlite3_mprintf("SELECT 1 FROM \"%w\".\"%w\" WHERE 0",
                            name.substr(0, dot).c_str(),
                            name.substr(dot + 1).c_str());
  if (sql == nullptr) return;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_step(stmt);
  }
  sqlite3_finalize(stmt);
  sqlite3_free(sql);
}

void Property(sqlite3_context* ctx, const std::string& table_name,
              const char* property) {
  ConnectionState* conn =
      static_cast<ConnectionRef*>(sqlite3_user_data(ctx))->get();
  std::string error;
  CairnTable* table = FindTable(conn, table_name, &error);
  if (table == nullptr) {
    ConnectTable(sqlite3_context_db_handle(ctx), table_name);
    error.clear();
    table = FindTable(conn, table_name, &error);
  }
  if (table == nullptr) {
    sqlite3_result_error(ctx, error.c_str(), -1);
    return;
  }
  if (std::string_view(property) == kTableStats) {
    // in_batches: multi_get calls made for `key IN (...)` lists;
    // in_batch_keys: the keys those calls read.
    std::string json =
        "{\"in_batches\":" + std::to_string(table->in_batches) +
        ",\"in_batch_keys\":" + std::to_string(table->in_batch_keys) + "}";
    sqlite3_result_text(ctx, json.c_str(), -1, SQLITE_TRANSIENT);
    return;
  }
  int rc = EnsureStore(table);
  if (rc != SQLITE_OK) {
    sqlite3_result_error(ctx, table->zErrMsg ? table->zErrMsg : "cairn", -1);
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  char* value = nullptr;
  char* msg = nullptr;
  cairn_status_t s =
      table->api()->property(table->store->db, property, &value, &msg);
  if (s != CAIRN_OK) {
    std::string m = "cairn: property '" + std::string(property) + "' of " +
                    table->name + ": " + TakeCairnMessage(table->api(), s, msg);
    sqlite3_result_error(ctx, m.c_str(), -1);
    return;
  }
  sqlite3_result_text(ctx, value, -1, SQLITE_TRANSIENT);
  table->api()->free_fn(value);
}

const char* TextArg(sqlite3_context* ctx, sqlite3_value* v, const char* what) {
  if (sqlite3_value_type(v) != SQLITE_TEXT) {
    std::string m = std::string("cairn: ") + what + " must be TEXT";
    sqlite3_result_error(ctx, m.c_str(), -1);
    return nullptr;
  }
  return reinterpret_cast<const char*>(sqlite3_value_text(v));
}

void Stats(sqlite3_context* ctx, int, sqlite3_value** argv) {
  try {
    const char* table = TextArg(ctx, argv[0], "cairn_stats(table): table");
    if (table != nullptr) Property(ctx, table, "cairn.stats");
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  }
}

void PropertyFn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  try {
    const char* table =
        TextArg(ctx, argv[0], "cairn_property(table, name): table");
    if (table == nullptr) return;
    const char* name =
        TextArg(ctx, argv[1], "cairn_property(table, name): name");
    if (name != nullptr) Property(ctx, table, name);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  }
}

}  // namespace

int RegisterFunctions(sqlite3* db, const ConnectionRef& conn) {
  // Not SQLITE_DETERMINISTIC (stats change), and direct-only: they read
  // store internals, so schema objects (views, triggers) may not call them.
  const int flags = SQLITE_UTF8 | SQLITE_DIRECTONLY;
  // Each registration owns a reference; SQLite frees it (also on failure).
  int rc = sqlite3_create_function_v2(db, "cairn_stats", 1, flags,
                                      new ConnectionRef(conn), Stats, nullptr,
                                      nullptr, DeleteConnectionRef);
  if (rc != SQLITE_OK) return rc;
  return sqlite3_create_function_v2(db, "cairn_property", 2, flags,
                                    new ConnectionRef(conn), PropertyFn,
                                    nullptr, nullptr, DeleteConnectionRef);
}

}  // namespace cairn::sqlite
