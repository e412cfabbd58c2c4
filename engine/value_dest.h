// ValueDest: where a read puts the value it found — a std::string (resized
// to fit) or a caller's fixed buffer, so a hit can be copied from the cache
// straight into the host's memory with no allocation on the way.
//
// With a buffer, at most `capacity` bytes are written (a prefix of the
// value) and `size` always reports the whole value's length, as snprintf
// does: size > capacity means the caller should read again with a buffer
// of `size` bytes. A reader may write into the destination more than once
// (a seqlock retry); only the last write counts.
//
// Not thread-safe: one destination belongs to one read.
#ifndef CAIRN_ENGINE_VALUE_DEST_H_
#define CAIRN_ENGINE_VALUE_DEST_H_

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace cairn {

class ValueDest {
 public:
  // Discards the value (a presence check).
  ValueDest() = default;
  explicit ValueDest(std::string* str) : str_(str) {}
  ValueDest(char* buf, size_t capacity) : buf_(buf), capacity_(capacity) {}

  // Makes room for a value of `n` bytes: sets size() to n and returns where
  // to write min(n, Room()) bytes (null when discarding).
  char* Prepare(size_t n) {
    size_ = n;
    if (str_ != nullptr) {
      str_->resize(n);
      return str_->data();
    }
    return buf_;
  }
  // How many of the prepared bytes the destination takes.
  size_t Room() const {
    if (str_ != nullptr) return size_;
    return size_ < capacity_ ? size_ : capacity_;
  }
  void Assign(std::string_view v) {
    char* p = Prepare(v.size());
    if (p != nullptr && Room() > 0) memcpy(p, v.data(), Room());
  }
  void Clear() {
    size_ = 0;
    if (str_ != nullptr) str_->clear();
  }

  bool discards() const { return str_ == nullptr && buf_ == nullptr; }
  std::string* str() const { return str_; }
  // The value's whole length (may exceed a buffer's capacity).
  size_t size() const { return size_; }
  bool truncated() const { return str_ == nullptr && size_ > capacity_; }

 private:
  std::string* str_ = nullptr;
  char* buf_ = nullptr;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_VALUE_DEST_H_
