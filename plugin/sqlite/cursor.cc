// The cursor: rows of one key range, in either order, merging the table's
// uncommitted transaction (TxnOverlay) over a Cairn iterator.
//
// The Cairn iterator reads a snapshot, so rows committed while the cursor
// is open never make it skip or repeat a row. The overlay may change under
// the cursor (an UPDATE reading and writing the same table), so the cursor
// keeps a copy of the current row and finds the next overlay entry by key
// each step instead of holding an overlay iterator. When this table writes
// to the store (a commit, or a rollback of written rows) the overlay's rows
// move into the store, so the cursor takes a new snapshot and re-seeks just
// past its current row.
//
// A `key IN (...)` list handed over whole (kPlanIn) is read by an
// InListReader: the listed keys in batches, in the requested key order.
#include <sqlite3ext.h>

#include <new>
#include <optional>
#include <string>
#include <utility>

#include "plugin/sqlite/in_list.h"
#include "plugin/sqlite/row_codec.h"
#include "plugin/sqlite/vtab.h"

namespace cairn::sqlite {
namespace {

struct Cursor : sqlite3_vtab_cursor {
  CairnTable* table = nullptr;
  cairn_readoptions_t* read_options = nullptr;
  cairn_iterator_t* it = nullptr;  // null in point-lookup and IN modes
  bool in_mode = false;            // rows come from `in_list`
  InListReader in_list;
  uint64_t generation = 0;  // the table's generation at `it`'s snapshot
  bool desc = false;
  bool eof = true;
  bool started = false;              // a row has been produced since xFilter
  std::string lower;                 // inclusive
  std::optional<std::string> upper;  // exclusive
  std::string key;                   // the current row, stored form
  std::string value;

  const cairn_api_t* api() const { return table->api(); }
  void DropIterator() {
    if (it != nullptr) api()->iter_destroy(it);
    it = nullptr;
  }
};

Cursor* AsCursor(sqlite3_vtab_cursor* c) { return static_cast<Cursor*>(c); }

// Stored TEXT keys below this may read as numbers ("t" + ':' = '9' + 1).
constexpr std::string_view kNumericTextEnd = "t:";

bool InRange(const Cursor& c, std::string_view k) {
  return k >= c.lower && (!c.upper || k < *c.upper);
}

// Reads `stored_key` at its latest state: the overlay first, then Cairn.
// Returns SQLITE_OK with *found set, or an error code (message set).
int PointRead(Cursor* c, const std::string& stored_key, bool* found) {
  *found = false;
  if (const TxnOverlay::Slot* slot = c->table->txn.Find(stored_key)) {
    if (*slot) {
      c->key = stored_key;
      c->value = **slot;
      *found = true;
    }
    return SQLITE_OK;
  }
  std::optional<std::string> value;
  int rc = ReadStore(c->table, stored_key, nullptr, &value);
  if (rc != SQLITE_OK || !value) return rc;
  c->key = stored_key;
  c->value = std::move(*value);
  *found = true;
  return SQLITE_OK;
}

// Creates the store iterator (bounds are in the read options) and positions
// it at the first row not yet produced.
int OpenIterator(Cursor* c) {
  const cairn_api_t* api = c->api();
  c->DropIterator();
  char* msg = nullptr;
  cairn_status_t s =
      api->iter_create(c->table->store->db, c->read_options, &c->it, &msg);
  if (s != CAIRN_OK) {
    SetError(c->table, "cairn: scan: " + TakeCairnMessage(api, s, msg));
    return SqliteCode(s);
  }
  c->generation = c->table->generation;
  if (!c->started) {
    c->desc ? api->iter_seek_to_last(c->it) : api->iter_seek_to_first(c->it);
    return SQLITE_OK;
  }
  c->desc ? api->iter_seek_for_prev(c->it, c->key.data(), c->key.size())
          : api->iter_seek(c->it, c->key.data(), c->key.size());
  size_t n = 0;
  const char* k = api->iter_valid(c->it) ? api->iter_key(c->it, &n) : nullptr;
  if (k != nullptr && std::string_view(k, n) == c->key) {
    c->desc ? api->iter_prev(c->it) : api->iter_next(c->it);
  }
  return SQLITE_OK;
}

// Moves to the next row in the cursor's direction: the nearest of the
// Cairn iterator's row and the overlay's entry beyond the current key.
int Step(Cursor* c) {
  const cairn_api_t* api = c->api();
  const TxnOverlay& txn = c->table->txn;
  if (c->generation != c->table->generation) {
    int rc = OpenIterator(c);
    if (rc != SQLITE_OK) return rc;
  }
  while (true) {
    std::optional<std::string_view> stored;
    if (api->iter_valid(c->it)) {
      size_t n = 0;
      const char* k = api->iter_key(c->it, &n);
      stored = std::string_view(k, n);
    } else {
      char* msg = nullptr;
      cairn_status_t s = api->iter_status(c->it, &msg);
      if (s != CAIRN_OK) {
        SetError(c->table, "cairn: scan: " + TakeCairnMessage(api, s, msg));
        return SqliteCode(s);
      }
    }
    const TxnOverlay::Entry* pending;
    if (!c->desc) {
      pending =
          c->started ? txn.After(c->key, false) : txn.After(c->lower, true);
    } else if (c->started) {
      pending = txn.Before(c->key, false);
    } else {
      pending = c->upper ? txn.Before(*c->upper, false) : txn.Last();
    }
    if (pending != nullptr && !InRange(*c, pending->first)) pending = nullptr;

    if (!stored && pending == nullptr) {
      c->eof = true;
      return SQLITE_OK;
    }
    bool take_pending = pending != nullptr &&
                        (!stored || (c->desc ? pending->first >= *stored
                                             : pending->first <= *stored));
    c->started = true;
    if (take_pending) {
      // The overlay shadows the store's row for the same key.
      if (stored && *stored == pending->first) {
        c->desc ? api->iter_prev(c->it) : api->iter_next(c->it);
      }
      c->key = pending->first;
      if (!pending->second) continue;  // deleted in this transaction
      c->value = *pending->second;
      c->eof = false;
      return SQLITE_OK;
    }
    size_t n = 0;
    const char* v = api->iter_value(c->it, &n);
    c->key.assign(stored->data(), stored->size());
    c->value.assign(v, n);
    c->desc ? api->iter_prev(c->it) : api->iter_next(c->it);
    c->eof = false;
    return SQLITE_OK;
  }
}

// What a bound's value (or a listed IN value) can match. A TEXT or BLOB
// value is a key: *type and *bytes are set (EncodeKey gives the stored
// key). A number cannot narrow the scan (SQLite may compare it after
// applying a numeric affinity to the key, so the full range is scanned and
// SQLite filters). NULL matches nothing.
enum class Bound { kKey, kNumber, kNull };
Bound ClassifyBound(sqlite3_value* v, SqlType* type, std::string_view* bytes) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_TEXT: {
      const unsigned char* p = sqlite3_value_text(v);
      *type = SqlType::kText;
      *bytes = std::string_view(reinterpret_cast<const char*>(p),
                                sqlite3_value_bytes(v));
      return Bound::kKey;
    }
    case SQLITE_BLOB: {
      const void* p = sqlite3_value_blob(v);
      *type = SqlType::kBlob;
      *bytes =
          std::string_view(static_cast<const char*>(p), sqlite3_value_bytes(v));
      return Bound::kKey;
    }
    case SQLITE_NULL:
      return Bound::kNull;
    default:
      return Bound::kNumber;
  }
}

// Turns a bound's value into a stored key. Returns false when the bound
// cannot narrow the scan (a number); *empty is set when nothing can match
// (NULL).
bool BoundKey(sqlite3_value* v, std::string* out, bool* empty) {
  SqlType type;
  std::string_view bytes;
  switch (ClassifyBound(v, &type, &bytes)) {
    case Bound::kKey:
      *out = EncodeKey(type, bytes);
      return true;
    case Bound::kNull:
      *empty = true;
      return false;
    case Bound::kNumber:
      return false;
  }
  return false;
}

// Adds the keys of an IN list (sqlite3_vtab_in_first/next) to `reader`
// with the key-equality conversion (ClassifyBound): NULLs match nothing and
// are dropped; *numeric is set, and collecting stops, at a number (then the
// cursor scans, as for `key = 5`).
int ListedKeys(CairnTable* table, sqlite3_value* list, InListReader* reader,
               bool* numeric) {
#if SQLITE_VERSION_NUMBER >= 3038000
  sqlite3_value* v = nullptr;
  int rc = sqlite3_vtab_in_first(list, &v);
  for (; rc == SQLITE_OK && v != nullptr; rc = sqlite3_vtab_in_next(list, &v)) {
    SqlType type;
    std::string_view bytes;
    switch (ClassifyBound(v, &type, &bytes)) {
      case Bound::kKey:
        reader->Add(type, bytes);
        break;
      case Bound::kNull:
        break;
      case Bound::kNumber:
        *numeric = true;
        return SQLITE_OK;
    }
  }
  if (rc == SQLITE_OK || rc == SQLITE_DONE) return SQLITE_OK;
  SetError(table, std::string("cairn: reading the values of key IN (...): ") +
                      sqlite3_errstr(rc));
  return rc;
#else
  (void)list, (void)reader, (void)numeric;
  SetError(table, "cairn: key IN (...) as a list needs SQLite 3.38");
  return SQLITE_INTERNAL;
#endif
}

int InStep(Cursor* c) {
  bool done = false;
  int rc = c->in_list.Next(c->table, &c->key, &c->value, &done);
  c->eof = rc != SQLITE_OK || done;
  return rc;
}

int Filter(Cursor* c, int plan, int argc, sqlite3_value** argv) {
  int unapplied = Unapply(c->table);
  if (unapplied != SQLITE_OK) return unapplied;
  c->DropIterator();
  c->in_mode = false;
  c->eof = true;
  c->started = false;
  c->lower = std::string(kFirstRowKey);
  c->upper.reset();
  c->desc = (plan & kPlanDesc) != 0;
  int arg = 0;
  bool empty = false;
  std::string bound;
  if (plan & kPlanEq) {
    if (arg < argc && BoundKey(argv[arg], &bound, &empty)) {
      bool found = false;
      int rc = PointRead(c, bound, &found);
      c->eof = !found;
      return rc;
    }
    if (empty) return SQLITE_OK;
    ++arg;  // a numeric key: scan everything, SQLite filters
  }
  if ((plan & kPlanIn) && arg < argc) {
    bool numeric = false;
    c->in_list.Clear();
    int rc = ListedKeys(c->table, argv[arg], &c->in_list, &numeric);
    if (rc != SQLITE_OK) return rc;
    if (!numeric) {
      c->in_mode = true;
      c->in_list.Start(c->desc);
      return InStep(c);
    }
    ++arg;  // a number in the list: scan everything, SQLite filters
  }
  if ((plan & kPlanLower) && arg < argc) {
    if (BoundKey(argv[arg], &bound, &empty)) {
      c->lower = (plan & kPlanLowerOpen) ? Successor(bound) : bound;
      if (c->lower < kFirstRowKey) c->lower = std::string(kFirstRowKey);
    }
    ++arg;
  }
  if ((plan & kPlanUpper) && arg < argc) {
    if (BoundKey(argv[arg], &bound, &empty)) {
      c->upper = (plan & kPlanUpperOpen) ? bound : Successor(bound);
      // Numbers sort below TEXT: if SQLite converts numeric-looking keys
      // (see best_index.cc) they pass any TEXT upper bound. They all start
      // with a byte at or below '9' (space, sign, '.', digit), so keep that
      // part of the key space in range.
      if (*c->upper < kNumericTextEnd) c->upper = std::string(kNumericTextEnd);
    }
    ++arg;
  }
  if (empty || (c->upper && *c->upper <= c->lower)) return SQLITE_OK;

  const cairn_api_t* api = c->api();
  char* msg = nullptr;
  cairn_status_t s = api->readoptions_set_lower_bound(
      c->read_options, c->lower.data(), c->lower.size(), &msg);
  if (s == CAIRN_OK) {
    s = c->upper
            ? api->readoptions_set_upper_bound(
                  c->read_options, c->upper->data(), c->upper->size(), &msg)
            : api->readoptions_set_upper_bound(c->read_options, nullptr, 0,
                                               &msg);
  }
  if (s != CAIRN_OK) {
    SetError(c->table, "cairn: scan: " + TakeCairnMessage(api, s, msg));
    return SqliteCode(s);
  }
  int rc = OpenIterator(c);
  return rc != SQLITE_OK ? rc : Step(c);
}

void ResultStored(sqlite3_context* ctx, const SqlValue& v) {
  switch (v.type) {
    case SqlType::kNull:
      sqlite3_result_null(ctx);
      break;
    case SqlType::kInteger:
      sqlite3_result_int64(ctx, v.integer);
      break;
    case SqlType::kReal:
      sqlite3_result_double(ctx, v.real);
      break;
    case SqlType::kText:
      sqlite3_result_text64(ctx, v.bytes.data(), v.bytes.size(),
                            SQLITE_TRANSIENT, SQLITE_UTF8);
      break;
    case SqlType::kBlob:
      sqlite3_result_blob64(ctx, v.bytes.data(), v.bytes.size(),
                            SQLITE_TRANSIENT);
      break;
  }
}

}  // namespace

int CursorOpen(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* table = static_cast<CairnTable*>(vtab);
  int rc = EnsureStore(table);
  if (rc != SQLITE_OK) return rc;
  auto* c = new (std::nothrow) Cursor;
  if (c == nullptr) return SQLITE_NOMEM;
  c->table = table;
  c->read_options = table->api()->readoptions_create();
  *out = c;
  return SQLITE_OK;
}

int CursorClose(sqlite3_vtab_cursor* cursor) {
  Cursor* c = AsCursor(cursor);
  c->DropIterator();
  c->api()->readoptions_destroy(c->read_options);
  delete c;
  return SQLITE_OK;
}

int CursorFilter(sqlite3_vtab_cursor* cursor, int idx_num, const char*,
                 int argc, sqlite3_value** argv) {
  try {
    return Filter(AsCursor(cursor), idx_num, argc, argv);
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}

int CursorNext(sqlite3_vtab_cursor* cursor) {
  Cursor* c = AsCursor(cursor);
  if (c->in_mode) {
    try {
      return InStep(c);
    } catch (const std::bad_alloc&) {
      return SQLITE_NOMEM;
    }
  }
  if (c->it == nullptr) {  // point lookup: one row at most
    c->eof = true;
    return SQLITE_OK;
  }
  try {
    return Step(c);
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}

int CursorEof(sqlite3_vtab_cursor* cursor) { return AsCursor(cursor)->eof; }

int CursorColumn(sqlite3_vtab_cursor* cursor, sqlite3_context* ctx, int col) {
  Cursor* c = AsCursor(cursor);
  std::optional<SqlValue> v =
      col == 0 ? DecodeKey(c->key) : DecodeValue(c->value);
  if (!v) {
    std::string msg =
        std::string("cairn: store ") + c->table->path +
        " holds a malformed row " + (col == 0 ? "key" : "value") + " (" +
        std::to_string(col == 0 ? c->key.size() : c->value.size()) +
        " bytes); was it written by another program?";
    sqlite3_result_error(ctx, msg.c_str(), -1);
    sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
    return SQLITE_CORRUPT;
  }
  ResultStored(ctx, *v);
  return SQLITE_OK;
}

int CursorRowid(sqlite3_vtab_cursor* cursor, sqlite3_int64*) {
  SetError(AsCursor(cursor)->table,
           "cairn: tables are WITHOUT ROWID; there is no rowid");
  return SQLITE_ERROR;
}

}  // namespace cairn::sqlite
