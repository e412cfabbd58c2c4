#include "engine/cache/hash_index.h"

#include <sched.h>
#include <xxhash.h>

#include <algorithm>
#include <cstddef>

#include "engine/cache/shm_lock.h"

namespace cairn::cache {
namespace {

uint32_t FastRange(uint32_t x, uint32_t n) {
  return static_cast<uint32_t>((uint64_t{x} * n) >> 32);
}

constexpr int kReadAttempts = 512;

// One bit per byte of `v` that is zero (bit i for byte i), exactly: no
// false positives from borrows (Hacker's Delight 6-1, then a multiply
// gathers the eight high bits into the top byte).
inline uint32_t ZeroBytes(uint64_t v) {
  constexpr uint64_t k7f = 0x7f7f7f7f7f7f7f7full;
  const uint64_t high = ~(((v & k7f) + k7f) | v | k7f);
  return static_cast<uint32_t>(((high >> 7) * 0x0102040810204080ull) >> 56);
}

}  // namespace

uint32_t HashIndex::MatchTags(const Bucket& bk, uint8_t tag) {
  // The 11 tags with two loads (bytes 48..55 and 56..59: tags 8..10 and a
  // reserved byte) instead of eleven. Word-sized atomic loads over the
  // byte-sized atomic tags: both are plain loads on x86, and a torn view
  // is caught by the bucket's seqlock like any other.
  static_assert(offsetof(Bucket, tag) == 48 && kSlotsPerBucket == 11);
  const char* tags = reinterpret_cast<const char*>(&bk) + offsetof(Bucket, tag);
  const uint64_t lo = __atomic_load_n(reinterpret_cast<const uint64_t*>(tags),
                                      __ATOMIC_RELAXED);
  const uint32_t hi = __atomic_load_n(
      reinterpret_cast<const uint32_t*>(tags + 8), __ATOMIC_RELAXED);
  const uint64_t ones = 0x0101010101010101ull * tag;
  // Bytes 3..7 of the second word forced non-zero: only tags 8..10 count.
  const uint32_t high = ZeroBytes((hi ^ ones) | ~uint64_t{0xffffff});
  return (ZeroBytes(lo ^ ones) | (high << 8)) & ((1u << kSlotsPerBucket) - 1);
}

namespace {}  // namespace

HashIndex::HashIndex(char* base, const Geometry& geo)
    : base_(base),
      geo_(geo),
      buckets_(reinterpret_cast<Bucket*>(base + geo.index_offset)),
      stripes_(reinterpret_cast<Stripe*>(base + geo.stripes_offset)) {}

uint32_t HashIndex::StripeOf(uint64_t hash) const {
  const uint64_t mixed = (hash ^ (hash >> 29)) * 0xbf58476d1ce4e5b9ull;
  return static_cast<uint32_t>(mixed >> 32) & (geo_.num_stripes - 1);
}

uint64_t HashIndex::HashKey(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

KeyLoc HashIndex::Locate(std::string_view key) const {
  return LocateHash(HashKey(key));
}

KeyLoc HashIndex::LocateHash(uint64_t hash) const {
  KeyLoc loc;
  loc.hash = hash;
  const uint32_t n = geo_.num_buckets;
  loc.b1 = FastRange(static_cast<uint32_t>(loc.hash), n);
  loc.b2 = FastRange(static_cast<uint32_t>(loc.hash >> 32), n);
  if (loc.b2 == loc.b1 && n > 1) loc.b2 = (loc.b1 + 1) % n;
  loc.stripe = StripeOf(loc.hash);
  loc.tag = static_cast<uint8_t>(loc.hash);
  return loc;
}

bool HashIndex::ScanBucket(uint32_t b, const KeyLoc& loc, std::string_view key,
                           ValueDest* value, ItemMeta* meta,
                           uint32_t* slot) const {
  const Bucket& bk = buckets_[b];
  for (uint32_t match = MatchTags(bk, loc.tag); match != 0;
       match &= match - 1) {
    const uint32_t i = static_cast<uint32_t>(__builtin_ctz(match));
    const uint64_t item =
        uint64_t{bk.offset[i].load(std::memory_order_relaxed)} * 8;
    if (!PlausibleItem(item)) continue;
    const ItemMeta m = LoadItemMeta(base_, item);
    if (m.key_len != key.size() || item + m.bytes() > geo_.capacity) continue;
    if (!EqualBytes(base_, m.key_pos(item), key)) continue;
    if (value != nullptr) {
      char* dst = value->Prepare(m.value_len);
      if (dst != nullptr) {
        LoadBytes(base_, m.value_pos(item), dst, value->Room());
      }
    }
    *meta = m;
    *slot = i;
    return true;
  }
  return false;
}

void HashIndex::PrefetchItems(const KeyLoc& loc) const {
  const uint32_t order[2] = {loc.b1, loc.b2};
  for (uint32_t b : order) {
    const Bucket& bk = buckets_[b];
    for (uint32_t match = MatchTags(bk, loc.tag); match != 0;
         match &= match - 1) {
      const uint32_t i = static_cast<uint32_t>(__builtin_ctz(match));
      const uint64_t item =
          uint64_t{bk.offset[i].load(std::memory_order_relaxed)} * 8;
      if (!PlausibleItem(item)) continue;
      // The header and key, and the line after (most of a 100-byte value).
      __builtin_prefetch(base_ + item);
      __builtin_prefetch(base_ + item + 64);
    }
  }
}

HashIndex::ReadResult HashIndex::Read(const KeyLoc& loc, std::string_view key,
                                      ValueDest* value, ItemMeta* meta,
                                      SlotRef* where) const {
  const uint32_t order[2] = {loc.b1, loc.b2};
  const int buckets = loc.b1 == loc.b2 ? 1 : 2;
  // The key is in either bucket about equally often: fetch both lines at
  // once rather than one after the other.
  __builtin_prefetch(&buckets_[loc.b2]);
  int attempts = 0;
  for (int k = 0; k < buckets; ++k) {
    const uint32_t b = order[k];
    for (;;) {
      if (++attempts > kReadAttempts) return ReadResult::kBusy;
      const uint32_t begin = SeqLock::ReadBegin(buckets_[b].seq);
      if ((begin & 1) != 0) {
        if (attempts < 64) {
          CpuRelax();
        } else {
          sched_yield();
        }
        continue;
      }
      uint32_t slot = 0;
      const bool found = ScanBucket(b, loc, key, value, meta, &slot);
      if (!SeqLock::ReadValidate(buckets_[b].seq, begin)) continue;
      if (found) {
        where->bucket = b;
        where->slot = slot;
        return ReadResult::kHit;
      }
      break;
    }
  }
  // Absent from both buckets as each was seen. A key inserted meanwhile may
  // be missed; a miss is always a correct answer for a cache.
  return ReadResult::kMiss;
}

void HashIndex::Touch(const SlotRef& ref) const {
  const uint16_t bit = static_cast<uint16_t>(1u << ref.slot);
  std::atomic<uint16_t>& r = buckets_[ref.bucket].referenced;
  if ((r.load(std::memory_order_relaxed) & bit) == 0) {
    r.fetch_or(bit, std::memory_order_relaxed);
  }
}

absl::Status HashIndex::LockPair(const KeyLoc& loc, uint32_t timeout_ms,
                                 pid_t owner_pid) const {
  const uint32_t lo = std::min(loc.b1, loc.b2);
  const uint32_t hi = std::max(loc.b1, loc.b2);
  if (absl::Status s = SeqLock::Lock(buckets_[lo].seq, timeout_ms, owner_pid);
      !s.ok()) {
    return s;
  }
  if (hi != lo) {
    if (absl::Status s = SeqLock::Lock(buckets_[hi].seq, timeout_ms, owner_pid);
        !s.ok()) {
      SeqLock::Unlock(buckets_[lo].seq);
      return s;
    }
  }
  return absl::OkStatus();
}

void HashIndex::UnlockPair(const KeyLoc& loc) const {
  SeqLock::Unlock(buckets_[loc.b1].seq);
  if (loc.b2 != loc.b1) SeqLock::Unlock(buckets_[loc.b2].seq);
}

bool HashIndex::LoadSlot(uint32_t bucket, uint32_t slot, SlotRef* out) const {
  const uint64_t item =
      uint64_t{buckets_[bucket].offset[slot].load(std::memory_order_relaxed)} *
      8;
  if (!PlausibleItem(item)) return false;
  out->bucket = bucket;
  out->slot = slot;
  out->item = item;
  out->meta = LoadItemMeta(base_, item);
  return item + out->meta.bytes() <= geo_.capacity;
}

bool HashIndex::Find(const KeyLoc& loc, std::string_view key,
                     SlotRef* out) const {
  const uint32_t order[2] = {loc.b1, loc.b2};
  for (int k = 0; k < (loc.b1 == loc.b2 ? 1 : 2); ++k) {
    const Bucket& bk = buckets_[order[k]];
    for (uint32_t i = 0; i < kSlotsPerBucket; ++i) {
      if (bk.tag[i].load(std::memory_order_relaxed) != loc.tag) continue;
      SlotRef ref;
      if (!LoadSlot(order[k], i, &ref)) continue;
      if (ref.meta.key_len == key.size() &&
          EqualBytes(base_, ref.meta.key_pos(ref.item), key)) {
        *out = ref;
        return true;
      }
    }
  }
  return false;
}

bool HashIndex::FindItem(const KeyLoc& loc, uint64_t item, SlotRef* out) const {
  const uint32_t order[2] = {loc.b1, loc.b2};
  for (int k = 0; k < (loc.b1 == loc.b2 ? 1 : 2); ++k) {
    const Bucket& bk = buckets_[order[k]];
    for (uint32_t i = 0; i < kSlotsPerBucket; ++i) {
      if (uint64_t{bk.offset[i].load(std::memory_order_relaxed)} * 8 == item) {
        return LoadSlot(order[k], i, out);
      }
    }
  }
  return false;
}

bool HashIndex::FreeSlot(const KeyLoc& loc, uint32_t* bucket,
                         uint32_t* slot) const {
  // The less loaded of the two buckets (two choices keep them even).
  int best_free = 0;
  const uint32_t order[2] = {loc.b1, loc.b2};
  for (int k = 0; k < (loc.b1 == loc.b2 ? 1 : 2); ++k) {
    const Bucket& bk = buckets_[order[k]];
    int free = 0;
    uint32_t first = 0;
    for (uint32_t i = kSlotsPerBucket; i-- > 0;) {
      if (bk.offset[i].load(std::memory_order_relaxed) == 0) {
        ++free;
        first = i;
      }
    }
    if (free > best_free) {
      best_free = free;
      *bucket = order[k];
      *slot = first;
    }
  }
  return best_free > 0;
}

bool HashIndex::Displace(const KeyLoc& loc, uint32_t* bucket,
                         uint32_t* slot) const {
  thread_local std::string key;
  const uint32_t order[2] = {loc.b1, loc.b2};
  for (int k = 0; k < (loc.b1 == loc.b2 ? 1 : 2); ++k) {
    const uint32_t from = order[k];
    for (uint32_t i = 0; i < kSlotsPerBucket; ++i) {
      SlotRef ref;
      if (!LoadSlot(from, i, &ref)) continue;
      key.resize(ref.meta.key_len);
      LoadBytes(base_, ref.meta.key_pos(ref.item), key.data(), key.size());
      const KeyLoc other = Locate(key);
      const uint32_t to = other.b1 == from ? other.b2 : other.b1;
      if (to == loc.b1 || to == loc.b2) continue;  // already full
      // Both of the moved key's buckets must be held: `from` is, `to` is
      // outside our ordered pair, so only try it.
      if (!SeqLock::TryLock(buckets_[to].seq)) continue;
      uint32_t free_slot = kSlotsPerBucket;
      for (uint32_t j = 0; j < kSlotsPerBucket; ++j) {
        if (buckets_[to].offset[j].load(std::memory_order_relaxed) == 0) {
          free_slot = j;
          break;
        }
      }
      if (free_slot != kSlotsPerBucket) {
        // Visible in `to` before it leaves `from`: readers see it in either
        // bucket, or (at worst) miss it once.
        const bool referenced = Referenced(ref);
        Set(to, free_slot,
            buckets_[from].tag[i].load(std::memory_order_relaxed), ref.item);
        if (referenced) Touch(SlotRef{to, free_slot, ref.item, ref.meta});
        Clear(ref);
        *bucket = from;
        *slot = i;
      }
      SeqLock::Unlock(buckets_[to].seq);
      if (free_slot != kSlotsPerBucket) return true;
    }
  }
  return false;
}

SlotRef HashIndex::ClockVictim(const KeyLoc& loc) const {
  const uint32_t n = (loc.b1 == loc.b2 ? 1 : 2) * kSlotsPerBucket;
  thread_local uint32_t hand = 0;
  const uint32_t start = hand++ % n;
  uint32_t pick = start;
  for (uint32_t step = 0; step < n; ++step) {
    const uint32_t k = (start + step) % n;
    const uint32_t b = k < kSlotsPerBucket ? loc.b1 : loc.b2;
    const uint32_t s = k % kSlotsPerBucket;
    const uint16_t bit = static_cast<uint16_t>(1u << s);
    if ((buckets_[b].referenced.fetch_and(static_cast<uint16_t>(~bit),
                                          std::memory_order_relaxed) &
         bit) == 0) {
      pick = k;
      break;
    }
  }
  const uint32_t b = pick < kSlotsPerBucket ? loc.b1 : loc.b2;
  SlotRef ref{};
  if (!LoadSlot(b, pick % kSlotsPerBucket, &ref)) {
    ref.bucket = b;
    ref.slot = pick % kSlotsPerBucket;
    ref.item = 0;
  }
  return ref;
}

bool HashIndex::Referenced(const SlotRef& ref) const {
  return (buckets_[ref.bucket].referenced.load(std::memory_order_relaxed) &
          (1u << ref.slot)) != 0;
}

void HashIndex::Set(uint32_t bucket, uint32_t slot, uint8_t tag,
                    uint64_t item) const {
  Bucket& bk = buckets_[bucket];
  bk.referenced.fetch_and(static_cast<uint16_t>(~(1u << slot)),
                          std::memory_order_relaxed);
  bk.tag[slot].store(tag, std::memory_order_relaxed);
  bk.offset[slot].store(static_cast<uint32_t>(item / 8),
                        std::memory_order_relaxed);
}

void HashIndex::Repoint(const SlotRef& ref, uint64_t item) const {
  buckets_[ref.bucket].offset[ref.slot].store(static_cast<uint32_t>(item / 8),
                                              std::memory_order_relaxed);
}

void HashIndex::Clear(const SlotRef& ref) const {
  Bucket& bk = buckets_[ref.bucket];
  bk.offset[ref.slot].store(0, std::memory_order_relaxed);
  bk.tag[ref.slot].store(0, std::memory_order_relaxed);
  bk.referenced.fetch_and(static_cast<uint16_t>(~(1u << ref.slot)),
                          std::memory_order_relaxed);
}

}  // namespace cairn::cache
