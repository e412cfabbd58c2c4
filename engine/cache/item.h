// Item: how one cached record is laid out in the segment's data pages.
//
//   +0   u64  version.hlc
//   +8   u32  version.node
//   +12  u32  lengths: key length (low 12 bits) | value length (high 20 bits)
//   +16  u32  insert time, in TTL ticks since the segment's time base
//   +20  key bytes, then value bytes, zero-padded to a multiple of 8
//
// 20 bytes of header, no pointers: key and value sit next to the header so a
// hit reads one contiguous run. Items are immutable once linked into the
// index (an update writes a new item and repoints the slot), so an item's
// bytes only change after it became unreachable; seqlock readers detect that.
//
// Keys longer than kMaxKeyBytes and values longer than kMaxValueBytes are
// not cacheable (the caller bypasses the cache for them).
#ifndef CAIRN_ENGINE_CACHE_ITEM_H_
#define CAIRN_ENGINE_CACHE_ITEM_H_

#include <cstdint>
#include <string_view>

#include "engine/cache/atomic_bytes.h"
#include "engine/version.h"

namespace cairn::cache {

inline constexpr uint32_t kItemHeaderBytes = 20;
inline constexpr uint32_t kKeyLengthBits = 12;
inline constexpr uint32_t kMaxKeyBytes = (1u << kKeyLengthBits) - 1;
inline constexpr uint32_t kMaxValueBytes = (1u << (32 - kKeyLengthBits)) - 1;

// Bytes an item occupies in a page.
constexpr uint64_t ItemBytes(uint64_t key_len, uint64_t value_len) {
  return (kItemHeaderBytes + key_len + value_len + 7) & ~uint64_t{7};
}

struct ItemMeta {
  Version version;
  uint32_t key_len = 0;
  uint32_t value_len = 0;
  uint32_t time = 0;

  uint64_t bytes() const { return ItemBytes(key_len, value_len); }
  uint64_t key_pos(uint64_t item) const { return item + kItemHeaderBytes; }
  uint64_t value_pos(uint64_t item) const {
    return item + kItemHeaderBytes + key_len;
  }
};

// Reads the header of the item at byte offset `item` (8-byte aligned).
inline ItemMeta LoadItemMeta(const char* base, uint64_t item) {
  ItemMeta m;
  m.version.hlc = LoadWord(base, item);
  const uint64_t w1 = LoadWord(base, item + 8);
  m.version.node = static_cast<uint32_t>(w1);
  const uint32_t lengths = static_cast<uint32_t>(w1 >> 32);
  m.key_len = lengths & kMaxKeyBytes;
  m.value_len = lengths >> kKeyLengthBits;
  m.time = static_cast<uint32_t>(LoadWord(base, item + 16));
  return m;
}

// Writes a whole item at byte offset `item`, which the caller owns.
inline void StoreItem(char* base, uint64_t item, std::string_view key,
                      std::string_view value, const Version& version,
                      uint32_t time) {
  const uint32_t lengths =
      static_cast<uint32_t>(key.size()) |
      (static_cast<uint32_t>(value.size()) << kKeyLengthBits);
  WordWriter w(base, item);
  w.Append(&version.hlc, 8);
  w.Append(&version.node, 4);
  w.Append(&lengths, 4);
  w.Append(&time, 4);
  w.Append(key.data(), key.size());
  w.Append(value.data(), value.size());
  w.Finish();
}

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_ITEM_H_
