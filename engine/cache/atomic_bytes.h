// Word-wise relaxed atomic access to item bytes in shared memory.
//
// Readers of the cache are optimistic (seqlock): they may read item memory
// while a writer reuses it, and discard what they read if the bucket's
// sequence changed. To make that race well-defined (and visible as benign to
// TSan), every access to item memory goes through 8-byte relaxed atomic
// loads and stores; on x86-64 these are plain moves.
//
// All positions are byte offsets from the segment base, which is page
// aligned; the words touched are the aligned words covering the range, so a
// range must lie inside a region whose covering words are mapped (items are
// 8-byte aligned and padded to 8 bytes, so this always holds).
//
// Stateless helpers; thread-safe in the sense above.
#ifndef CAIRN_ENGINE_CACHE_ATOMIC_BYTES_H_
#define CAIRN_ENGINE_CACHE_ATOMIC_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace cairn::cache {

inline uint64_t LoadWord(const char* base, uint64_t pos) {
  return __atomic_load_n(reinterpret_cast<const uint64_t*>(base + pos),
                         __ATOMIC_RELAXED);
}

inline void StoreWord(char* base, uint64_t pos, uint64_t value) {
  __atomic_store_n(reinterpret_cast<uint64_t*>(base + pos), value,
                   __ATOMIC_RELAXED);
}

// Copies n bytes starting at `pos` (any alignment) into dst.
inline void LoadBytes(const char* base, uint64_t pos, char* dst, size_t n) {
  uint64_t word = pos & ~uint64_t{7};
  size_t skip = pos & 7;
  if (skip != 0 && n > 0) {
    const uint64_t w = LoadWord(base, word);
    const size_t take = n < 8 - skip ? n : 8 - skip;
    std::memcpy(dst, reinterpret_cast<const char*>(&w) + skip, take);
    dst += take;
    n -= take;
    word += 8;
  }
  for (; n >= 8; n -= 8, dst += 8, word += 8) {
    const uint64_t w = LoadWord(base, word);
    std::memcpy(dst, &w, 8);
  }
  if (n > 0) {
    const uint64_t w = LoadWord(base, word);
    std::memcpy(dst, &w, n);
  }
}

// True if the n = s.size() bytes at `pos` equal s.
inline bool EqualBytes(const char* base, uint64_t pos, std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t word = pos & ~uint64_t{7};
  size_t skip = pos & 7;
  if (skip != 0 && n > 0) {
    const uint64_t w = LoadWord(base, word);
    const size_t take = n < 8 - skip ? n : 8 - skip;
    if (std::memcmp(p, reinterpret_cast<const char*>(&w) + skip, take) != 0) {
      return false;
    }
    p += take;
    n -= take;
    word += 8;
  }
  for (; n >= 8; n -= 8, p += 8, word += 8) {
    uint64_t mine;
    std::memcpy(&mine, p, 8);
    if (LoadWord(base, word) != mine) return false;
  }
  if (n > 0) {
    const uint64_t w = LoadWord(base, word);
    return std::memcmp(p, &w, n) == 0;
  }
  return true;
}

// Streams bytes into a region the caller owns exclusively (a fresh
// allocation), one atomic word at a time. Start must be 8-byte aligned;
// Finish() zero-pads the last word.
class WordWriter {
 public:
  WordWriter(char* base, uint64_t pos) : base_(base), pos_(pos) {}

  void Append(const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    if (fill_ != 0) {
      const size_t take = n < 8 - fill_ ? n : 8 - fill_;
      std::memcpy(reinterpret_cast<char*>(&pending_) + fill_, p, take);
      fill_ += take;
      p += take;
      n -= take;
      if (fill_ == 8) Flush();
    }
    for (; n >= 8; n -= 8, p += 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      StoreWord(base_, pos_, w);
      pos_ += 8;
    }
    if (n > 0) {
      std::memcpy(&pending_, p, n);
      fill_ = n;
    }
  }

  void Finish() {
    if (fill_ != 0) Flush();
  }

 private:
  void Flush() {
    if (fill_ < 8) {
      std::memset(reinterpret_cast<char*>(&pending_) + fill_, 0, 8 - fill_);
    }
    StoreWord(base_, pos_, pending_);
    pos_ += 8;
    pending_ = 0;
    fill_ = 0;
  }

  char* base_;
  uint64_t pos_;
  uint64_t pending_ = 0;
  size_t fill_ = 0;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_ATOMIC_BYTES_H_
