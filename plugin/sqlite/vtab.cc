// Table lifetime: xCreate / xConnect / xDisconnect / xDestroy / xRename, and
// the helpers the other parts of the module share.
#include "plugin/sqlite/vtab.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <new>
#include <vector>

namespace cairn::sqlite {
namespace {

constexpr char kSchema[] =
    "CREATE TABLE x(key BLOB PRIMARY KEY NOT NULL, value BLOB) WITHOUT ROWID";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string TableKey(const std::string& schema, const std::string& name) {
  return Lower(schema) + "." + Lower(name);
}

// A relative store path is taken relative to the directory of the database
// file that holds the table, so the pair can move together.
std::string ResolvePath(sqlite3* db, const char* schema,
                        const std::string& path) {
  if (!path.empty() && path[0] == '/') return CanonicalStorePath(path);
  const char* file = sqlite3_db_filename(db, schema);
  if (file != nullptr && *file != '\0') {
    std::string f = file;
    size_t slash = f.rfind('/');
    if (slash != std::string::npos) {
      return CanonicalStorePath(f.substr(0, slash + 1) + path);
    }
  }
  return CanonicalStorePath(path);
}

int Init(sqlite3* db, void* aux, int argc, const char* const* argv,
         sqlite3_vtab** out, char** err, OpenMode mode) {
  *out = nullptr;
  try {
    const ConnectionRef& conn = *static_cast<ConnectionRef*>(aux);
    std::vector<std::string_view> args;
    for (int i = 3; i < argc; ++i) args.emplace_back(argv[i]);
    auto table = std::make_unique<CairnTable>();
    std::string error;
    if (!ParseTableArgs(args, &table->args, &error)) {
      *err = sqlite3_mprintf("%s", error.c_str());
      return SQLITE_ERROR;
    }
    table->db = db;
    table->conn = conn;
    table->schema = argv[1];
    table->name = argv[2];
    table->path = ResolvePath(db, argv[1], table->args.path);

    int rc = sqlite3_declare_vtab(db, kSchema);
    if (rc != SQLITE_OK) return rc;
    // xUpdate reports key conflicts as SQLITE_CONSTRAINT and honours
    // OR REPLACE / OR IGNORE itself; SQLite then rolls back the statement.
    sqlite3_vtab_config(db, SQLITE_VTAB_CONSTRAINT_SUPPORT, 1);

    if (mode == OpenMode::kCreate) {
      cairn_status_t code = CAIRN_OK;
      table->store = AcquireStore(conn->api, table->path, table->args, mode,
                                  &error, &code);
      if (!table->store) {
        *err = sqlite3_mprintf("%s", error.c_str());
        return SqliteCode(code);
      }
    }
    table->write_options = conn->api->writeoptions_create();
    conn->api->writeoptions_set_sync(table->write_options,
                                     table->args.sync ? 1 : 0);
    table->quiet_read = conn->api->readoptions_create();
    conn->api->readoptions_set_fill_cache(table->quiet_read, 0);
    conn->tables[TableKey(table->schema, table->name)] = table.get();
    *out = table.release();
    return SQLITE_OK;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (const std::exception& e) {
    *err = sqlite3_mprintf("cairn: %s", e.what());
    return SQLITE_ERROR;
  }
}

int Create(sqlite3* db, void* aux, int argc, const char* const* argv,
           sqlite3_vtab** out, char** err) {
  return Init(db, aux, argc, argv, out, err, OpenMode::kCreate);
}

int Connect(sqlite3* db, void* aux, int argc, const char* const* argv,
            sqlite3_vtab** out, char** err) {
  return Init(db, aux, argc, argv, out, err, OpenMode::kConnect);
}

void Free(CairnTable* table) {
  table->conn->tables.erase(TableKey(table->schema, table->name));
  table->conn->api->writeoptions_destroy(table->write_options);
  table->conn->api->readoptions_destroy(table->quiet_read);
  sqlite3_free(table->zErrMsg);
  delete table;  // releases the store
}

int Disconnect(sqlite3_vtab* vtab) {
  Free(static_cast<CairnTable*>(vtab));
  return SQLITE_OK;
}

int Destroy(sqlite3_vtab* vtab) {
  auto* table = static_cast<CairnTable*>(vtab);
  try {
    // DROP TABLE deletes the store, whether or not it could be opened.
    if (!table->store) {
      cairn_status_t code = CAIRN_OK;
      std::string ignored;
      table->store = AcquireStore(table->api(), table->path, table->args,
                                  OpenMode::kConnect, &ignored, &code);
    }
    std::string error;
    if (table->store) {
      if (!DestroyStore(&table->store, &error)) {
        // SQLite reports a failed xDestroy as "SQL logic error" without
        // this message; the error log (SQLITE_CONFIG_LOG) gets it.
        sqlite3_log(SQLITE_ERROR, "%s", error.c_str());
        SetError(table, error);
        return SQLITE_ERROR;
      }
    } else {
      char* msg = nullptr;
      cairn_status_t s = table->api()->destroy(table->path.c_str(), &msg);
      if (s != CAIRN_OK && s != CAIRN_NOT_FOUND) {
        SetError(table, "cairn: destroying store " + table->path + ": " +
                            TakeCairnMessage(table->api(), s, msg));
        sqlite3_log(SqliteCode(s), "%s", table->zErrMsg);
        return SqliteCode(s);
      }
      table->api()->free_fn(msg);
    }
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
  Free(table);
  return SQLITE_OK;
}

int Rename(sqlite3_vtab* vtab, const char* new_name) {
  auto* table = static_cast<CairnTable*>(vtab);
  try {
    table->conn->tables.erase(TableKey(table->schema, table->name));
    table->name = new_name;
    table->conn->tables[TableKey(table->schema, table->name)] = table;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

sqlite3_module MakeModule() {
  sqlite3_module m{};
  m.iVersion = 2;
  m.xCreate = Create;
  m.xConnect = Connect;
  m.xBestIndex = BestIndex;
  m.xDisconnect = Disconnect;
  m.xDestroy = Destroy;
  m.xOpen = CursorOpen;
  m.xClose = CursorClose;
  m.xFilter = CursorFilter;
  m.xNext = CursorNext;
  m.xEof = CursorEof;
  m.xColumn = CursorColumn;
  m.xRowid = CursorRowid;
  m.xUpdate = Update;
  m.xBegin = Begin;
  m.xSync = Sync;
  m.xCommit = Commit;
  m.xRollback = Rollback;
  m.xRename = Rename;
  m.xSavepoint = Savepoint;
  m.xRelease = Release;
  m.xRollbackTo = RollbackTo;
  return m;
}

}  // namespace

void DeleteConnectionRef(void* ref) { delete static_cast<ConnectionRef*>(ref); }

const sqlite3_module& CairnModule() {
  static const sqlite3_module module = MakeModule();
  return module;
}

int EnsureStore(CairnTable* table) {
  if (table->store) return SQLITE_OK;
  std::string error;
  cairn_status_t code = CAIRN_OK;
  table->store = AcquireStore(table->api(), table->path, table->args,
                              OpenMode::kConnect, &error, &code);
  if (table->store) return SQLITE_OK;
  SetError(table, error);
  return SqliteCode(code);
}

int ReadStore(CairnTable* table, std::string_view key,
              const cairn_readoptions_t* options,
              std::optional<std::string>* value) {
  const cairn_api_t* api = table->api();
  char* v = nullptr;
  size_t len = 0;
  char* msg = nullptr;
  cairn_status_t s = api->get(table->store->db, options, key.data(), key.size(),
                              &v, &len, &msg);
  if (s == CAIRN_OK) {
    value->emplace(v, len);
    api->free_fn(v);
    return SQLITE_OK;
  }
  if (s == CAIRN_NOT_FOUND) {
    api->free_fn(msg);
    value->reset();
    return SQLITE_OK;
  }
  SetError(table, "cairn: read: " + TakeCairnMessage(api, s, msg));
  return SqliteCode(s);
}

void SetError(CairnTable* table, const std::string& message) {
  sqlite3_free(table->zErrMsg);
  table->zErrMsg = sqlite3_mprintf("%s", message.c_str());
}

int SqliteCode(cairn_status_t status) {
  switch (status) {
    case CAIRN_OK:
      return SQLITE_OK;
    case CAIRN_NOT_FOUND:
      return SQLITE_CANTOPEN;
    case CAIRN_IO_ERROR:
      return SQLITE_IOERR;
    case CAIRN_CORRUPTION:
      return SQLITE_CORRUPT;
    case CAIRN_BUSY:
      return SQLITE_BUSY;
    case CAIRN_TIMEOUT:
      return SQLITE_BUSY;
    case CAIRN_INTERNAL:
      return SQLITE_INTERNAL;
    case CAIRN_INVALID_ARGUMENT:
    case CAIRN_UNAVAILABLE:
    case CAIRN_NOT_SUPPORTED:
      return SQLITE_ERROR;
  }
  return SQLITE_ERROR;
}

CairnTable* FindTable(ConnectionState* conn, const std::string& name,
                      std::string* error) {
  std::string key = Lower(name);
  if (key.find('.') != std::string::npos) {
    auto it = conn->tables.find(key);
    if (it != conn->tables.end()) return it->second;
  } else {
    CairnTable* found = nullptr;
    for (const auto& [qualified, table] : conn->tables) {
      if (qualified.substr(qualified.find('.') + 1) != key) continue;
      if (found != nullptr) {
        *error = "cairn: table name '" + name +
                 "' is ambiguous; qualify it with its schema (main." + name +
                 ")";
        return nullptr;
      }
      found = table;
    }
    if (found != nullptr) return found;
  }
  *error = "cairn: no open cairn table named '" + name +
           "' in this connection (query it once, or check the name)";
  return nullptr;
}

}  // namespace cairn::sqlite
