#include "plugin/sqlite/txn_overlay.h"

#include <utility>

namespace cairn::sqlite {

void TxnOverlay::Put(std::string_view key, std::string_view value) {
  Set(key, Slot(std::string(value)));
}

void TxnOverlay::Delete(std::string_view key) { Set(key, std::nullopt); }

void TxnOverlay::Set(std::string_view key, Slot slot) {
  auto it = entries_.find(key);
  // Undo records are only needed while a savepoint could roll them back.
  if (!marks_.empty()) {
    if (it == entries_.end()) {
      undo_.push_back(Undo{std::string(key), false, std::nullopt});
    } else {
      undo_.push_back(Undo{std::string(key), true, it->second});
    }
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
  // The oldest savepoint at or above `level` holds the state as of `level`:
  // SQLite announces a savepoint when the table joins a transaction, and the
  // table had written nothing before that.
  size_t i = 0;
  while (i < marks_.size() && marks_[i].level < level) ++i;
  if (i == marks_.size()) return;
  const size_t target = marks_[i].undo_size;
  while (undo_.size() > target) {
    Undo& u = undo_.back();
    if (u.existed) {
      entries_[u.key] = std::move(u.previous);
    } else {
      entries_.erase(u.key);
    }
    undo_.pop_back();
  }
  marks_[i].level = level;
  marks_.resize(i + 1);
}

void TxnOverlay::Release(int level) {
  while (!marks_.empty() && marks_.back().level >= level) marks_.pop_back();
  if (marks_.empty()) undo_.clear();
}

void TxnOverlay::Clear() {
  entries_.clear();
  undo_.clear();
  marks_.clear();
}

}  // namespace cairn::sqlite
