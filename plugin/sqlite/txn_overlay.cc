#include "plugin/sqlite/txn_overlay.h"

#include <utility>

namespace cairn::sqlite {

void TxnOverlay::Put(std::string_view key, std::string_view value) {
  Set(key, Slot(std::string(value)));
}

void TxnOverlay::Delete(std::string_view key) { Set(key, std::nullopt); }

void TxnOverlay::Set(std::string_view key, Slot slot) {
  auto it = entries_.find(key);
  // Always logged: SQLite may roll back to a savepoint older than any it
  // announced to this table (see RollbackTo).
  if (it == entries_.end()) {
    undo_.push_back(Undo{std::string(key), false, std::nullopt});
  } else {
    undo_.push_back(Undo{std::string(key), true, it->second});
  }
  if (it == entries_.end()) {
    entries_.emplace(std::string(key), std::move(slot));
  } else {
    it->second = std::move(slot);
  }
}

const TxnOverlay::Slot* TxnOverlay::Find(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

const TxnOverlay::Entry* TxnOverlay::After(std::string_view key,
                                           bool inclusive) const {
  auto it = inclusive ? entries_.lower_bound(key) : entries_.upper_bound(key);
  return it == entries_.end() ? nullptr : &*it;
}

const TxnOverlay::Entry* TxnOverlay::Before(std::string_view key,
                                            bool inclusive) const {
  auto it = inclusive ? entries_.upper_bound(key) : entries_.lower_bound(key);
  if (it == entries_.begin()) return nullptr;
  return &*std::prev(it);
}

const TxnOverlay::Entry* TxnOverlay::First() const {
  return entries_.empty() ? nullptr : &*entries_.begin();
}

const TxnOverlay::Entry* TxnOverlay::Last() const {
  return entries_.empty() ? nullptr : &*entries_.rbegin();
}

void TxnOverlay::Savepoint(int level) {
  while (!marks_.empty() && marks_.back().level >= level) marks_.pop_back();
  marks_.push_back(Mark{level, undo_.size()});
}

void TxnOverlay::RollbackTo(int level) {
  // SQLite announces every savepoint opened while the table is in the
  // transaction, and, when the table joins, the current level (its state
  // then: nothing written). A level older than every savepoint held (or
  // with none held) was opened before the table wrote anything, e.g. the
  // SAVEPOINT that opened the transaction (level -1, never announced): undo
  // everything. Levels are reused once released, so only an exact match
  // names a held savepoint.
  size_t i = 0;
  while (i < marks_.size() && marks_[i].level < level) ++i;
  const bool before_all = marks_.empty() || level < marks_.front().level;
  if (!before_all && i == marks_.size()) return;  // newer than all: no-op
  const size_t target = before_all ? 0 : marks_[i].undo_size;
  while (undo_.size() > target) {
    Undo& u = undo_.back();
    if (u.existed) {
      entries_[u.key] = std::move(u.previous);
    } else {
      entries_.erase(u.key);
    }
    undo_.pop_back();
  }
  if (before_all) {
    marks_.clear();
  } else {
    marks_[i].level = level;
    marks_.resize(i + 1);
  }
}

void TxnOverlay::Release(int level) {
  while (!marks_.empty() && marks_.back().level >= level) marks_.pop_back();
}

void TxnOverlay::Clear() {
  entries_.clear();
  undo_.clear();
  marks_.clear();
}

}  // namespace cairn::sqlite
