// DbIterator: ordered iteration over live user keys.
//
// Walks the data key space of one LevelDB iterator (a consistent view: the
// read options' snapshot or an implicit one taken at creation), hiding
// tombstones (unless created with include_deleted) and clamping to the copied
// lower/upper bounds. A new iterator is unpositioned. key() and value() point
// into the iterator and are valid until it moves.
//
// Thread-compatible: one thread at a time. If the Db closes first, the
// iterator becomes invalid and status() reports Unavailable.
#ifndef CAIRN_ENGINE_DB_ITERATOR_H_
#define CAIRN_ENGINE_DB_ITERATOR_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/version.h"

namespace leveldb {
class Iterator;
}

namespace cairn {

class DbCore;

class DbIterator {
 public:
  ~DbIterator();
  DbIterator(const DbIterator&) = delete;
  DbIterator& operator=(const DbIterator&) = delete;

  void SeekToFirst();
  void SeekToLast();
  // First key >= target.
  void Seek(std::string_view target);
  // Last key <= target.
  void SeekForPrev(std::string_view target);
  void Next();
  void Prev();

  bool Valid() const { return valid_; }
  std::string_view key() const;
  std::string_view value() const { return value_; }
  Version version() const { return version_; }
  // True at a tombstone (only when created with include_deleted; its value
  // is empty).
  bool deleted() const { return deleted_; }
  [[nodiscard]] absl::Status status() const;

 private:
  friend class Db;
  friend class DbCore;
  DbIterator(std::shared_ptr<DbCore> core, leveldb::Iterator* it,
             std::optional<std::string> lower, std::optional<std::string> upper,
             bool include_deleted);

  // Moves forward (backward) from the current LevelDB position to the first
  // live record within bounds.
  void SkipForward();
  void SkipBackward();
  // True (and the iterator invalid, status_ set) if LevelDB's iterator has
  // met damaged data.
  bool Damaged();
  // Called by DbCore::Close with its lock held.
  void InvalidateLocked();
  bool Usable();

  std::shared_ptr<DbCore> core_;
  leveldb::Iterator* it_;  // owned; null once invalidated
  std::string lower_;      // data-space bounds: prefix + user key
  std::string upper_;
  std::string_view value_;
  Version version_;
  const bool include_deleted_;
  bool deleted_ = false;
  bool valid_ = false;
  bool closed_ = false;
  absl::Status status_;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_DB_ITERATOR_H_
