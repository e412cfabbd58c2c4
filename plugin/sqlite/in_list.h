// InListReader: the rows of `key IN (...)`, read in batches.
//
// The cursor adds the listed keys once, in any order and with duplicates;
// the reader sorts them in the scan's direction, drops the duplicates (IN
// is a set; SQLite already hands over distinct values, but two values may
// still name one stored key) and reads them kChunk keys at a time with one
// cairn_multi_get, so the cache lookups of a chunk overlap and memory stays
// bounded however long the list. Keys live in one buffer and a chunk's
// values in another, so a statement costs a few allocations, not a few per
// key. The transaction's overlay is consulted as each row is produced, not
// when its chunk is read, so a row written by the transaction is seen
// exactly as a key-equality read would see it.
//
// Not thread-safe: one cursor's state.
#ifndef CAIRN_PLUGIN_SQLITE_IN_LIST_H_
#define CAIRN_PLUGIN_SQLITE_IN_LIST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/sqlite/row_codec.h"

namespace cairn::sqlite {

struct CairnTable;

class InListReader {
 public:
  // Keys per multi_get call.
  static constexpr size_t kChunk = 256;

  // Forgets the keys (a new xFilter).
  void Clear();
  // Adds a listed key (as EncodeKey(type, bytes)).
  void Add(SqlType type, std::string_view bytes);
  // Sorts and deduplicates the added keys; rows then come out ascending or,
  // with `desc`, descending.
  void Start(bool desc);

  // Moves to the next listed key that holds a row: sets *key and *value and
  // returns SQLITE_OK with *done false; *done true when the list is
  // exhausted. On a Cairn error sets the table's message and returns a
  // SQLite code.
  int Next(CairnTable* table, std::string* key, std::string* value, bool* done);

 private:
  enum class State : uint8_t { kUnread, kFound, kFoundLarge, kMissing };
  struct Span {
    size_t offset;
    size_t size;
  };

  std::string_view KeyAt(size_t i) const {
    return std::string_view(key_bytes_).substr(keys_[i].offset, keys_[i].size);
  }
  // Reads the next chunk of keys (those the overlay does not hold).
  int ReadChunk(CairnTable* table);

  std::string key_bytes_;   // the stored keys, back to back
  std::vector<Span> keys_;  // into key_bytes_, sorted after Start
  size_t begin_ = 0;        // keys_[begin_, begin_ + size_) is the chunk
  size_t size_ = 0;
  size_t pos_ = 0;  // next position in the chunk
  State state_[kChunk];
  size_t lens_[kChunk];  // value sizes, for kFound and kFoundLarge
  // The chunk's values: value_cap_ bytes per key in values_; a value that
  // does not fit is read again into large_ (kFoundLarge).
  std::string values_;
  size_t slot_size_ = 0;  // the chunk's bytes per key in values_
  std::vector<std::string> large_;
  // Grows to the largest value seen, up to kMaxValueCap, so that values of
  // one size are read once, not twice, and values_ stays under kChunk *
  // kMaxValueCap (1 MiB).
  size_t value_cap_ = 128;
  static constexpr size_t kMaxValueCap = 4 << 10;
};

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_IN_LIST_H_
