#include "plugin/sqlite/in_list.h"

#include <sqlite3ext.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "plugin/sqlite/vtab.h"

namespace cairn::sqlite {
namespace {

// One cairn_multi_get of n keys (n <= InListReader::kChunk), counted in the
// table's IN statistics. SQLITE_OK when every key was found or not found.
int MultiGet(CairnTable* table, size_t n, const char* const* keys,
             const size_t* keylens, char* const* values, const size_t* caps,
             size_t* lens, cairn_status_t* statuses) {
  const cairn_api_t* api = table->api();
  char* msg = nullptr;
  cairn_status_t s = api->multi_get(table->store->db, nullptr, n, keys, keylens,
                                    values, caps, lens, statuses, &msg);
  ++table->in_batches;
  table->in_batch_keys += n;
  if (s == CAIRN_OK) return SQLITE_OK;
  SetError(table, "cairn: read: " + TakeCairnMessage(api, s, msg));
  return SqliteCode(s);
}

}  // namespace

void InListReader::Clear() {
  key_bytes_.clear();
  keys_.clear();
  begin_ = size_ = pos_ = 0;
}

void InListReader::Add(SqlType type, std::string_view bytes) {
  const size_t offset = key_bytes_.size();
  AppendKey(type, bytes, &key_bytes_);
  keys_.push_back({offset, key_bytes_.size() - offset});
}

void InListReader::Start(bool desc) {
  auto less = [this](const Span& a, const Span& b) {
    return std::string_view(key_bytes_).substr(a.offset, a.size) <
           std::string_view(key_bytes_).substr(b.offset, b.size);
  };
  if (desc) {
    std::sort(keys_.begin(), keys_.end(),
              [&less](const Span& a, const Span& b) { return less(b, a); });
  } else {
    std::sort(keys_.begin(), keys_.end(), less);
  }
  auto same = [this](const Span& a, const Span& b) {
    return std::string_view(key_bytes_).substr(a.offset, a.size) ==
           std::string_view(key_bytes_).substr(b.offset, b.size);
  };
  keys_.erase(std::unique(keys_.begin(), keys_.end(), same), keys_.end());
  begin_ = size_ = pos_ = 0;
}

int InListReader::ReadChunk(CairnTable* table) {
  begin_ += size_;
  size_ = std::min(kChunk, keys_.size() - begin_);
  pos_ = 0;
  std::fill(state_, state_ + size_, State::kUnread);
  const size_t cap = value_cap_;
  slot_size_ = cap;
  values_.resize(size_ * cap);

  // The keys the transaction has not written; idx maps a request to its
  // position in the chunk.
  const char* kp[kChunk];
  size_t kl[kChunk];
  char* vp[kChunk];
  size_t caps[kChunk];
  size_t lens[kChunk];
  cairn_status_t st[kChunk];
  size_t idx[kChunk];
  size_t n = 0;
  for (size_t i = 0; i < size_; ++i) {
    const std::string_view key = KeyAt(begin_ + i);
    if (table->txn.Find(key) != nullptr) continue;
    kp[n] = key.data();
    kl[n] = key.size();
    vp[n] = values_.data() + i * cap;
    caps[n] = cap;
    idx[n] = i;
    ++n;
  }
  if (n == 0) return SQLITE_OK;
  int rc = MultiGet(table, n, kp, kl, vp, caps, lens, st);
  if (rc != SQLITE_OK) return rc;

  // Values larger than their slot are read again, together, into buffers
  // of their size (compacting the request arrays in place).
  size_t largest = 0;
  size_t again = 0;
  for (size_t j = 0; j < n; ++j) {
    const size_t i = idx[j];
    if (st[j] == CAIRN_NOT_FOUND) {
      state_[i] = State::kMissing;
      continue;
    }
    largest = std::max(largest, lens[j]);
    lens_[i] = lens[j];
    if (lens[j] <= cap) {
      state_[i] = State::kFound;
      continue;
    }
    if (large_.size() < size_) large_.resize(size_);
    large_[i].resize(lens[j]);
    kp[again] = kp[j];
    kl[again] = kl[j];
    vp[again] = large_[i].data();
    caps[again] = lens[j];
    idx[again] = i;
    ++again;
  }
  value_cap_ = std::min(kMaxValueCap, std::max(value_cap_, largest));
  if (again == 0) return SQLITE_OK;
  rc = MultiGet(table, again, kp, kl, vp, caps, lens, st);
  if (rc != SQLITE_OK) return rc;
  for (size_t j = 0; j < again; ++j) {
    const size_t i = idx[j];
    if (st[j] == CAIRN_NOT_FOUND) {
      state_[i] = State::kMissing;
    } else if (lens[j] <= caps[j]) {
      large_[i].resize(lens[j]);
      state_[i] = State::kFoundLarge;
    }
    // else: it grew again meanwhile; Next reads it on its own (kUnread).
  }
  return SQLITE_OK;
}

int InListReader::Next(CairnTable* table, std::string* key, std::string* value,
                       bool* done) {
  while (true) {
    if (pos_ == size_) {
      if (begin_ + size_ >= keys_.size()) {
        *done = true;
        return SQLITE_OK;
      }
      int rc = ReadChunk(table);
      if (rc != SQLITE_OK) return rc;
      continue;
    }
    const size_t i = pos_++;
    const std::string_view k = KeyAt(begin_ + i);
    // The overlay as it is now: the statement may have written since the
    // chunk was read.
    if (const TxnOverlay::Slot* slot = table->txn.Find(k)) {
      if (!*slot) continue;  // deleted in this transaction
      *value = **slot;
    } else if (state_[i] == State::kFound) {
      value->assign(values_.data() + i * slot_size_, lens_[i]);
    } else if (state_[i] == State::kFoundLarge) {
      value->swap(large_[i]);
    } else if (state_[i] == State::kMissing) {
      continue;
    } else {
      // Not read with the chunk (the overlay held it then, or it outgrew
      // its buffer twice): a point read.
      std::optional<std::string> v;
      int rc = ReadStore(table, k, nullptr, &v);
      if (rc != SQLITE_OK) return rc;
      if (!v) continue;
      *value = std::move(*v);
    }
    key->assign(k);
    *done = false;
    return SQLITE_OK;
  }
}

}  // namespace cairn::sqlite
