// TxnOverlay: the uncommitted writes of one SQLite transaction on a `cairn`
// virtual table, with SQLite's nested savepoints.
//
// Writes between xBegin and xCommit land here, keyed by stored (encoded)
// key, and reach Cairn as one atomic write batch at commit; reads merge the
// overlay over the store, so a transaction sees its own writes. A savepoint
// remembers a position in an undo log; rolling back to it replays the log
// backwards. Entries are sorted, so cursors can merge them with a Cairn
// iterator in key order.
//
// Not thread-safe: a SQLite connection drives its virtual tables from one
// thread at a time, and each table instance has its own overlay.
#ifndef CAIRN_PLUGIN_SQLITE_TXN_OVERLAY_H_
#define CAIRN_PLUGIN_SQLITE_TXN_OVERLAY_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::sqlite {

class TxnOverlay {
 public:
  // A value, or nullopt for a key deleted in this transaction.
  using Slot = std::optional<std::string>;
  using Map = std::map<std::string, Slot, std::less<>>;
  using Entry = Map::value_type;

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);

  // nullptr when the transaction has not touched `key`.
  const Slot* Find(std::string_view key) const;
  // The first entry with key > `key` (>= when `inclusive`), or nullptr.
  const Entry* After(std::string_view key, bool inclusive) const;
  // The last entry with key < `key` (<= when `inclusive`), or nullptr.
  const Entry* Before(std::string_view key, bool inclusive) const;
  const Entry* First() const;
  const Entry* Last() const;

  // SQLite savepoint levels (xSavepoint / xRollbackTo / xRelease).
  void Savepoint(int level);
  // Undoes every write made since savepoint `level` (since the overlay
  // started, when `level` is older than every savepoint it holds or it holds
  // none), and forgets the savepoints above it.
  void RollbackTo(int level);
  // Forgets savepoint `level` and those above it; their writes stay.
  void Release(int level);

  // Discards everything (commit done, or full rollback).
  void Clear();

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const Map& entries() const { return entries_; }

 private:
  struct Undo {
    std::string key;
    bool existed;  // whether the overlay had an entry for key before
    Slot previous;
  };
  struct Mark {
    int level;
    size_t undo_size;
  };

  void Set(std::string_view key, Slot slot);

  Map entries_;
  std::vector<Undo> undo_;
  std::vector<Mark> marks_;  // increasing levels
};

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_TXN_OVERLAY_H_
