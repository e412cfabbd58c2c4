// The `cairn` SQLite virtual-table module: a table whose rows live in a
// Cairn store, reached through the C ABI (cairn_api_t).
//
//   CREATE VIRTUAL TABLE kv USING cairn(path='/data/kv', create_if_missing=1);
//   -- schema: key BLOB PRIMARY KEY NOT NULL, value BLOB   WITHOUT ROWID
//
// One table is one store (row_codec.h gives the row format). Writes of a
// transaction collect in a TxnOverlay and reach Cairn as one atomic write
// batch in xSync; reads merge the overlay over the store, so a transaction
// reads its own writes. Key equality is a point read (served by Cairn's
// shared-memory cache), a `key IN (...)` list batches of them (in_list.h);
// key ranges and ORDER BY key become iterator bounds and direction.
// Constraints are never marked "omit": SQLite re-checks every row it gets,
// so pushing a bound down can only save work, never change an answer.
//
// Threading: SQLite calls a connection's virtual tables from one thread at a
// time; stores are shared between connections (store_registry.h), and each
// table instance keeps its own transaction.
#ifndef CAIRN_PLUGIN_SQLITE_VTAB_H_
#define CAIRN_PLUGIN_SQLITE_VTAB_H_

#include <sqlite3ext.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cairn/cairn.h"
#include "plugin/sqlite/cairn_lib.h"
#include "plugin/sqlite/store_registry.h"
#include "plugin/sqlite/table_args.h"
#include "plugin/sqlite/txn_overlay.h"

SQLITE_EXTENSION_INIT3

namespace cairn::sqlite {

struct CairnTable;

// Per-connection state: the tables this connection has open, by
// "schema.name" (lower case), for cairn_stats(). One per sqlite3 handle
// (loading the extension twice reuses it), shared by the module, the
// functions and every table: SQLite may free a replaced module's data
// before the tables made by it are disconnected.
struct ConnectionState {
  const cairn_api_t* api = nullptr;
  std::map<std::string, CairnTable*> tables;
};
using ConnectionRef = std::shared_ptr<ConnectionState>;

// Destructor for a heap-allocated ConnectionRef handed to SQLite as module
// or function data.
void DeleteConnectionRef(void* ref);

struct CairnTable : sqlite3_vtab {
  sqlite3* db = nullptr;
  ConnectionRef conn;
  std::string schema;
  std::string name;
  TableArgs args;
  std::string path;  // canonical store directory
  StoreRef store;    // empty until opened (reconnects open lazily)
  cairn_writeoptions_t* write_options = nullptr;
  cairn_readoptions_t* quiet_read = nullptr;  // fill_cache=0, for pre-images
  TxnOverlay txn;
  // xSync wrote the overlay; `before` holds what those keys held before, so
  // that a rollback after the write (SQLite refused the COMMIT, or another
  // table's xSync failed) can put it back.
  bool txn_applied = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> before;
  // Pre-images already read by this transaction (the duplicate-key check of
  // an INSERT reads the store anyway), so xSync need not read them again.
  std::map<std::string, std::optional<std::string>, std::less<>> seen;
  // Bumped whenever this table writes to the store; an open cursor then
  // re-reads from a new snapshot, positioned after its current row.
  uint64_t generation = 0;
  // `key IN (...)` reads (cursor.cc), for cairn_property(t, 'sqlite.stats'):
  // multi_get calls made and keys they read.
  uint64_t in_batches = 0;
  uint64_t in_batch_keys = 0;

  const cairn_api_t* api() const { return conn->api; }
};

// The module definition (iVersion 2: transactions and savepoints).
const sqlite3_module& CairnModule();

// Registers cairn_stats(table) and cairn_property(table, name).
int RegisterFunctions(sqlite3* db, const ConnectionRef& conn);

// Opens the table's store if it is not open yet (a reconnect defers the
// open, so that a missing or busy store never blocks DROP TABLE). On
// failure sets the table's error message and returns a SQLite code.
int EnsureStore(CairnTable* table);

// Reads stored key `key` from the table's store (not the transaction):
// *value is nullopt when the key is absent. On a Cairn error sets the
// table's message and returns a SQLite code.
int ReadStore(CairnTable* table, std::string_view key,
              const cairn_readoptions_t* options,
              std::optional<std::string>* value);

// Records `message` as the table's error (sqlite3_vtab::zErrMsg).
void SetError(CairnTable* table, const std::string& message);

// The SQLite result code for a Cairn status.
int SqliteCode(cairn_status_t status);

// Looks up a table by name ("kv" or "schema.kv") for the SQL functions.
CairnTable* FindTable(ConnectionState* conn, const std::string& name,
                      std::string* error);

// sqlite3_vtab_cursor over a key range of one table (cursor.cc).
int CursorOpen(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out);
int CursorClose(sqlite3_vtab_cursor* cursor);
int CursorFilter(sqlite3_vtab_cursor* cursor, int idx_num, const char* idx_str,
                 int argc, sqlite3_value** argv);
int CursorNext(sqlite3_vtab_cursor* cursor);
int CursorEof(sqlite3_vtab_cursor* cursor);
int CursorColumn(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int col);
int CursorRowid(sqlite3_vtab_cursor* cursor, sqlite3_int64* rowid);

// Planning (best_index.cc). idxNum bits shared with CursorFilter.
inline constexpr int kPlanEq = 1;          // argv[0] is the key
inline constexpr int kPlanLower = 2;       // next argv is a lower bound
inline constexpr int kPlanLowerOpen = 4;   //   ... exclusive (>)
inline constexpr int kPlanUpper = 8;       // next argv is an upper bound
inline constexpr int kPlanUpperOpen = 16;  //   ... exclusive (<)
inline constexpr int kPlanDesc = 32;       // descending key order
inline constexpr int kPlanIn = 64;  // argv[0] is a whole `key IN (...)` list
int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info);

// Writes and transactions (write.cc).
int Update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv,
           sqlite3_int64* rowid);
int Begin(sqlite3_vtab* vtab);
int Sync(sqlite3_vtab* vtab);
int Commit(sqlite3_vtab* vtab);
int Rollback(sqlite3_vtab* vtab);
int Savepoint(sqlite3_vtab* vtab, int level);
int Release(sqlite3_vtab* vtab, int level);
int RollbackTo(sqlite3_vtab* vtab, int level);
// When xSync wrote the transaction but SQLite then failed the COMMIT and
// kept the transaction open, writes the pre-images back before the
// transaction goes on. A no-op otherwise.
int Unapply(CairnTable* table);

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_VTAB_H_
