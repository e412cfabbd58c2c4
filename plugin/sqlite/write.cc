// Writes and transactions: xUpdate into the table's TxnOverlay, and the
// overlay into Cairn as one atomic write batch at xSync.
//
// xSync is SQLite's last chance to report a failed write, so the batch is
// written there; but SQLite may still fail the COMMIT afterwards (another
// connection holds the database file, or another table's xSync failed) and
// roll back, or keep the transaction open. So xSync first reads the
// pre-images of the keys it writes; a rollback after the write puts them
// back in a second batch, and so does the next operation of a transaction
// that stayed open (Unapply), after which the overlay again holds all of the
// transaction and the next xSync writes it anew. Until then, other readers
// of the store can see the rows (documented in the README).
//
// Key conflicts follow a native WITHOUT ROWID table: INSERT of an existing
// key and UPDATE onto an existing key fail with SQLITE_CONSTRAINT ("UNIQUE
// constraint failed: t.key"), unless the statement says OR REPLACE (the
// other row is replaced) or OR IGNORE (SQLite skips the row). SQLite rolls
// back a failed statement's writes through xRollbackTo.
#include <sqlite3ext.h>

#include <new>
#include <string>

#include "plugin/sqlite/row_codec.h"
#include "plugin/sqlite/vtab.h"

namespace cairn::sqlite {
namespace {

CairnTable* AsTable(sqlite3_vtab* v) { return static_cast<CairnTable*>(v); }

std::string_view Bytes(sqlite3_value* v) {
  // sqlite3_value_blob gives the bytes of TEXT too (UTF-8 here, the
  // database encoding this module supports).
  const void* p = sqlite3_value_type(v) == SQLITE_TEXT
                      ? static_cast<const void*>(sqlite3_value_text(v))
                      : sqlite3_value_blob(v);
  return std::string_view(static_cast<const char*>(p), sqlite3_value_bytes(v));
}

// Checks an encoded key or value against Cairn's limit, which counts the
// one-byte type tag.
int CheckSize(CairnTable* t, const char* column, const std::string& stored,
              size_t limit, const char* option) {
  if (stored.size() <= limit) return SQLITE_OK;
  SetError(t, "cairn: " + t->name + "." + column + " is " +
                  std::to_string(stored.size() - 1) + " bytes; at most " +
                  std::to_string(limit > 0 ? limit - 1 : 0) +
                  " fit (the store's " + option + " is " +
                  std::to_string(limit) + ", with a one-byte type tag)");
  return SQLITE_TOOBIG;
}

// Encodes a key argument; rejects what a Cairn table cannot store.
int KeyArg(CairnTable* t, sqlite3_value* v, std::string* out) {
  int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) {
    SetError(t, "NOT NULL constraint failed: " + t->name + ".key");
    return SQLITE_CONSTRAINT_NOTNULL;
  }
  if (type != SQLITE_TEXT && type != SQLITE_BLOB) {
    SetError(t, "cairn: " + t->name + ".key must be TEXT or BLOB, got " +
                    SqlTypeName(static_cast<SqlType>(type)) +
                    " (store numbers as text, e.g. CAST(x AS TEXT))");
    return SQLITE_MISMATCH;
  }
  *out = EncodeKey(type == SQLITE_TEXT ? SqlType::kText : SqlType::kBlob,
                   Bytes(v));
  return CheckSize(t, "key", *out, t->store->max_key_size, "max_key_size");
}

int ValueArg(CairnTable* t, sqlite3_value* v, std::string* out) {
  SqlValue value;
  value.type = static_cast<SqlType>(sqlite3_value_type(v));
  switch (value.type) {
    case SqlType::kInteger:
      value.integer = sqlite3_value_int64(v);
      break;
    case SqlType::kReal:
      value.real = sqlite3_value_double(v);
      break;
    case SqlType::kText:
    case SqlType::kBlob:
      value.bytes = Bytes(v);
      break;
    case SqlType::kNull:
      break;
  }
  *out = EncodeValue(value);
  return CheckSize(t, "value", *out, t->store->max_value_size,
                   "max_value_size");
}

// Whether `key` exists as of this transaction (its writes, then Cairn).
int Exists(CairnTable* t, const std::string& key, bool* exists) {
  if (const TxnOverlay::Slot* slot = t->txn.Find(key)) {
    *exists = slot->has_value();
    return SQLITE_OK;
  }
  std::optional<std::string> stored;
  int rc = ReadStore(t, key, nullptr, &stored);
  if (rc != SQLITE_OK) return rc;
  *exists = stored.has_value();
  t->seen.emplace(key, std::move(stored));
  return SQLITE_OK;
}

int Conflict(CairnTable* t) {
  SetError(t, "UNIQUE constraint failed: " + t->name + ".key");
  return SQLITE_CONSTRAINT_PRIMARYKEY;
}

int DoUpdate(CairnTable* t, int argc, sqlite3_value** argv) {
  int rc = EnsureStore(t);
  if (rc != SQLITE_OK) return rc;
  std::string old_key;
  if (sqlite3_value_type(argv[0]) != SQLITE_NULL) {
    rc = KeyArg(t, argv[0], &old_key);
    if (rc != SQLITE_OK) return rc;
  }
  if (argc == 1) {  // DELETE
    t->txn.Delete(old_key);
    return SQLITE_OK;
  }
  std::string key, value;
  // argv[2] is the new key column, argv[3] the value column.
  if ((rc = KeyArg(t, argv[2], &key)) != SQLITE_OK) return rc;
  if ((rc = ValueArg(t, argv[3], &value)) != SQLITE_OK) return rc;
  const bool insert = old_key.empty();
  if (insert || key != old_key) {
    bool exists = false;
    if ((rc = Exists(t, key, &exists)) != SQLITE_OK) return rc;
    if (exists && sqlite3_vtab_on_conflict(t->db) != SQLITE_REPLACE) {
      return Conflict(t);
    }
    if (!insert) t->txn.Delete(old_key);
  }
  t->txn.Put(key, value);
  return SQLITE_OK;
}

// Writes `rows` (key, value or nullopt for a delete) as one atomic batch.
template <typename Rows>
cairn_status_t WriteBatch(CairnTable* t, const Rows& rows, char** msg) {
  const cairn_api_t* api = t->api();
  cairn_writebatch_t* batch = api->writebatch_create();
  cairn_status_t s = CAIRN_OK;
  for (const auto& [key, slot] : rows) {
    s = slot ? api->writebatch_put(batch, key.data(), key.size(), slot->data(),
                                   slot->size(), msg)
             : api->writebatch_delete(batch, key.data(), key.size(), msg);
    if (s != CAIRN_OK) break;
  }
  if (s == CAIRN_OK) s = api->write(t->store->db, t->write_options, batch, msg);
  api->writebatch_destroy(batch);
  if (s == CAIRN_OK) ++t->generation;
  return s;
}

// Reads what the overlay's keys hold in the store now (their pre-images).
int ReadBefore(CairnTable* t) {
  t->before.clear();
  t->before.reserve(t->txn.size());
  for (const auto& entry : t->txn.entries()) {
    const std::string& key = entry.first;
    if (auto it = t->seen.find(key); it != t->seen.end()) {
      t->before.emplace_back(key, it->second);
      continue;
    }
    std::optional<std::string> stored;
    int rc = ReadStore(t, key, t->quiet_read, &stored);
    if (rc != SQLITE_OK) return rc;
    t->before.emplace_back(key, std::move(stored));
  }
  return SQLITE_OK;
}

}  // namespace

// Puts back the pre-images of a batch xSync wrote, so that the store again
// holds only committed data and the overlay holds the transaction.
int Unapply(CairnTable* t) {
  if (!t->txn_applied) return SQLITE_OK;
  char* msg = nullptr;
  cairn_status_t s = WriteBatch(t, t->before, &msg);
  if (s != CAIRN_OK) {
    SetError(t, "cairn: undoing the refused commit of " + t->path +
                    " failed; its rows stay until ROLLBACK: " +
                    TakeCairnMessage(t->api(), s, msg));
    return SqliteCode(s);
  }
  t->before.clear();
  t->txn_applied = false;
  return SQLITE_OK;
}

namespace {

// Writes the overlay to Cairn as one batch, keeping the pre-images.
int Apply(CairnTable* t) {
  if (t->txn_applied || t->txn.empty()) return SQLITE_OK;
  char* msg = nullptr;
  if (int rc = ReadBefore(t); rc != SQLITE_OK) {
    t->before.clear();
    return rc;
  }
  cairn_status_t s = WriteBatch(t, t->txn.entries(), &msg);
  if (s != CAIRN_OK) {
    t->before.clear();
    SetError(t, "cairn: commit of " + std::to_string(t->txn.size()) +
                    " rows to " + t->path + " failed (nothing was written): " +
                    TakeCairnMessage(t->api(), s, msg));
    return SqliteCode(s);
  }
  t->txn_applied = true;
  return SQLITE_OK;
}

// Ends the transaction; after a rollback of written rows, restores the
// pre-images (SQLite ignores xRollback's result, so a failure is logged).
void Finish(CairnTable* t, bool rollback) {
  if (rollback && Unapply(t) != SQLITE_OK) {
    sqlite3_log(SQLITE_IOERR, "%s", t->zErrMsg ? t->zErrMsg : "cairn");
  }
  t->txn.Clear();
  t->before.clear();
  t->seen.clear();
  t->txn_applied = false;
}

template <typename F>
int Guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}

}  // namespace

int Update(sqlite3_vtab* vtab, int argc, sqlite3_value** argv, sqlite3_int64*) {
  return Guarded([&] {
    int rc = Unapply(AsTable(vtab));
    return rc != SQLITE_OK ? rc : DoUpdate(AsTable(vtab), argc, argv);
  });
}

int Begin(sqlite3_vtab* vtab) {
  CairnTable* t = AsTable(vtab);
  Finish(t, false);
  return EnsureStore(t);
}

int Sync(sqlite3_vtab* vtab) {
  return Guarded([&] { return Apply(AsTable(vtab)); });
}

int Commit(sqlite3_vtab* vtab) {
  CairnTable* t = AsTable(vtab);
  // SQLite always syncs first; applying here too keeps a commit without a
  // sync from losing writes (SQLite ignores xCommit's result).
  int rc = Guarded([&] { return Apply(t); });
  Finish(t, false);
  return rc;
}

int Rollback(sqlite3_vtab* vtab) {
  return Guarded([&] {
    Finish(AsTable(vtab), true);
    return SQLITE_OK;
  });
}

int Savepoint(sqlite3_vtab* vtab, int level) {
  return Guarded([&] {
    int rc = Unapply(AsTable(vtab));
    if (rc == SQLITE_OK) AsTable(vtab)->txn.Savepoint(level);
    return rc;
  });
}

int Release(sqlite3_vtab* vtab, int level) {
  AsTable(vtab)->txn.Release(level);
  return SQLITE_OK;
}

int RollbackTo(sqlite3_vtab* vtab, int level) {
  return Guarded([&] {
    int rc = Unapply(AsTable(vtab));
    if (rc == SQLITE_OK) AsTable(vtab)->txn.RollbackTo(level);
    return rc;
  });
}

}  // namespace cairn::sqlite
