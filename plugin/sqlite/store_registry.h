// Store and StoreRef: one open Cairn database per store directory, shared by
// every `cairn` virtual table in the process that names it.
//
// Cairn lets one owner open a database at a time, so two SQLite connections
// in one process (or one table attached twice) must share the handle rather
// than open it twice. The registry keys stores by canonical path and counts
// references; the last StoreRef closes the database. Another process still
// gets Cairn's CAIRN_BUSY message naming the owner's pid. When a store is
// already open, the first opener's Cairn options apply.
//
// A new store gets a format marker (row_codec.h); a store that holds other
// data, or rows of another format, is refused rather than misread.
//
// Thread-safe: the registry has one mutex; a Store's cairn_db_t is itself
// thread-safe (cairn.h).
#ifndef CAIRN_PLUGIN_SQLITE_STORE_REGISTRY_H_
#define CAIRN_PLUGIN_SQLITE_STORE_REGISTRY_H_

#include <cstddef>
#include <string>

#include "cairn/cairn.h"
#include "plugin/sqlite/table_args.h"

namespace cairn::sqlite {

struct Store {
  const cairn_api_t* api = nullptr;
  cairn_db_t* db = nullptr;
  std::string path;         // canonical
  size_t max_key_size = 0;  // Cairn's limits on stored keys and values
  size_t max_value_size = 0;
  int refs = 0;
};

// A counted reference to an open store; move-only.
class StoreRef {
 public:
  StoreRef() = default;
  explicit StoreRef(Store* store) : store_(store) {}
  StoreRef(StoreRef&& other) noexcept : store_(other.store_) {
    other.store_ = nullptr;
  }
  StoreRef& operator=(StoreRef&& other) noexcept;
  StoreRef(const StoreRef&) = delete;
  StoreRef& operator=(const StoreRef&) = delete;
  ~StoreRef() { Reset(); }

  void Reset();
  Store* get() const { return store_; }
  Store* operator->() const { return store_; }
  explicit operator bool() const { return store_ != nullptr; }

 private:
  Store* store_ = nullptr;
};

enum class OpenMode {
  kCreate,   // CREATE VIRTUAL TABLE: the user's create_if_missing applies
  kConnect,  // reconnect: never create (a vanished store is an error)
};

// Returns the canonical form of `path` (absolute, no "." or ".." parts,
// symlinks of existing parts resolved).
std::string CanonicalStorePath(const std::string& path);

// Opens (or shares) the store at `path`, which must be canonical. On
// failure returns an empty StoreRef and sets *error (Cairn's message,
// prefixed with the store path) and *code (Cairn's status).
StoreRef AcquireStore(const cairn_api_t* api, const std::string& path,
                      const TableArgs& args, OpenMode mode, std::string* error,
                      cairn_status_t* code);

// Closes and deletes the store `ref` refers to (DROP TABLE). Fails, keeping
// the store, when another table instance in this process still uses it.
bool DestroyStore(StoreRef* ref, std::string* error);

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_STORE_REGISTRY_H_
