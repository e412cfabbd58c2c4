// InListReader: the rows of `key IN (...)`, read in batches.
//
// The cursor hands over the listed keys (stored form) once, in any order and
// with duplicates; the reader sorts them in the scan's direction, drops the
// duplicates (IN is a set) and reads them kChunk keys at a time with one
// cairn_multi_get, so the cache lookups of a chunk overlap and memory stays
// bounded however long the list. The transaction's overlay is consulted as
// each row is produced, not when its chunk is read, so a row written by the
// transaction is seen exactly as a key-equality read would see it.
//
// Not thread-safe: one cursor's state.
#ifndef CAIRN_PLUGIN_SQLITE_IN_LIST_H_
#define CAIRN_PLUGIN_SQLITE_IN_LIST_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn::sqlite {

struct CairnTable;

class InListReader {
 public:
  // Keys per multi_get call.
  static constexpr size_t kChunk = 256;

  // Starts over with `keys`, produced ascending or, with `desc`, descending.
  void Reset(std::vector<std::string> keys, bool desc);

  // Moves to the next listed key that holds a row: sets *key and *value
  // (swapped in, so their buffers are reused) and returns SQLITE_OK with
  // *done false; *done true when the list is exhausted. On a Cairn error
  // sets the table's message and returns a SQLite code.
  int Next(CairnTable* table, std::string* key, std::string* value, bool* done);

 private:
  enum class State : uint8_t { kUnread, kFound, kMissing };

  // Reads the next chunk of keys (those the overlay does not hold).
  int ReadChunk(CairnTable* table);

  std::vector<std::string> keys_;
  size_t begin_ = 0;  // keys_[begin_, begin_ + size_) is the current chunk
  size_t size_ = 0;
  size_t pos_ = 0;  // next position in the chunk
  std::vector<State> state_;
  std::vector<std::string> values_;
  // Value buffer per key for multi_get; grows to the largest value seen, up
  // to kMaxValueCap, so that values of one size are read once, not twice,
  // and a chunk's buffers stay under kChunk * kMaxValueCap (1 MiB). Larger
  // values are read again into buffers of their size.
  size_t value_cap_ = 128;
  static constexpr size_t kMaxValueCap = 4 << 10;
};

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_IN_LIST_H_
