// HashIndex: the key -> item index of a cache segment.
//
// A bucketised hash table of 64-byte buckets (segment_layout.h), each with a
// seqlock word, 11 slots and an 8-bit fingerprint per slot. A key lives in
// one of two buckets chosen by its XXH3 hash (the less loaded one at insert,
// with one cuckoo displacement step when both are full), so the index fills
// to ~95% without overflow chains. A hit reads the two bucket lines in
// parallel (prefetch) plus the item. Items move between their two buckets
// only by Displace, with both buckets locked; eviction and relocation only
// change a slot's offset under the bucket lock.
//
// Concurrency contract:
// - Read() takes no lock: it validates against the bucket seqlocks and
//   retries, and returns kBusy rather than wait for a stuck writer.
// - Every mutation of a key's slots happens with both of its buckets locked
//   (LockPair, always in bucket order, so pair lockers never deadlock).
//   Find/FreeSlot/ClockVictim/Set/Repoint/Clear require that lock.
// - Touch() (the CLOCK reference bit) is a lock-free atomic or; reference
//   bits are hints and may be set on a slot that was just reused.
#ifndef CAIRN_ENGINE_CACHE_HASH_INDEX_H_
#define CAIRN_ENGINE_CACHE_HASH_INDEX_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/cache/item.h"
#include "engine/cache/segment_layout.h"
#include "engine/value_dest.h"

namespace cairn::cache {

// Where a key may live and which stripe guards it. Computed from the key.
struct KeyLoc {
  uint64_t hash;
  uint32_t b1;
  uint32_t b2;  // == b1 only if the index has a single bucket
  uint32_t stripe;
  uint8_t tag;
};

// A slot that holds an item, with that item's header.
struct SlotRef {
  uint32_t bucket;
  uint32_t slot;
  uint64_t item;  // byte offset in the segment
  ItemMeta meta;
};

class HashIndex {
 public:
  enum class ReadResult { kHit, kMiss, kBusy };

  HashIndex(char* base, const Geometry& geo);

  // XXH3 of the key: the same hash as placement.h's KeyHash, so one hash
  // both routes a key to its instance and places it in the index.
  static uint64_t HashKey(std::string_view key);
  KeyLoc Locate(std::string_view key) const;
  // The same from the key's XXH3 hash (placement.h KeyHash), computed once
  // per operation by the caller.
  KeyLoc LocateHash(uint64_t hash) const;

  // Optimistic lookup. On a hit, copies the value into *value (if not null)
  // and fills *meta and *where (for Touch).
  ReadResult Read(const KeyLoc& loc, std::string_view key, ValueDest* value,
                  ItemMeta* meta, SlotRef* where) const;

  // Batched reads (hints only, no synchronisation): start loading the key's
  // two bucket lines; once they have arrived, start loading the items whose
  // fingerprint matches, so that a later Read finds everything in cache.
  void PrefetchBuckets(const KeyLoc& loc) const {
    __builtin_prefetch(&buckets_[loc.b1]);
    __builtin_prefetch(&buckets_[loc.b2]);
  }
  void PrefetchItems(const KeyLoc& loc) const;

  void Touch(const SlotRef& ref) const;

  [[nodiscard]] absl::Status LockPair(const KeyLoc& loc, uint32_t timeout_ms,
                                      pid_t owner_pid) const;
  void UnlockPair(const KeyLoc& loc) const;

  // Under LockPair:
  bool Find(const KeyLoc& loc, std::string_view key, SlotRef* out) const;
  bool FindItem(const KeyLoc& loc, uint64_t item, SlotRef* out) const;
  // A free slot in the less loaded of the key's buckets.
  bool FreeSlot(const KeyLoc& loc, uint32_t* bucket, uint32_t* slot) const;
  // Both buckets full: frees a slot by moving one of their items to its
  // other bucket (one cuckoo step; that bucket is only try-locked, so this
  // cannot deadlock). False if no item could move.
  bool Displace(const KeyLoc& loc, uint32_t* bucket, uint32_t* slot) const;
  // Both buckets full: the first slot without its reference bit, clearing
  // the bits it passes (CLOCK).
  SlotRef ClockVictim(const KeyLoc& loc) const;
  bool Referenced(const SlotRef& ref) const;
  void Set(uint32_t bucket, uint32_t slot, uint8_t tag, uint64_t item) const;
  void Repoint(const SlotRef& ref, uint64_t item) const;
  void Clear(const SlotRef& ref) const;

  Bucket& bucket(uint32_t i) const { return buckets_[i]; }
  Stripe& stripe(uint32_t i) const { return stripes_[i]; }
  uint32_t StripeOf(uint64_t hash) const;

  // True if an item header at `item` lies inside the data area.
  bool PlausibleItem(uint64_t item) const {
    return item >= geo_.data_offset &&
           item + kItemHeaderBytes + 4 <= geo_.capacity;
  }
  // Reads the item a slot points to, bounds-checked; false if implausible.
  bool LoadSlot(uint32_t bucket, uint32_t slot, SlotRef* out) const;

  // Bit i set where slot i's fingerprint is `tag` (empty slots included
  // when tag is 0; callers check the item). No synchronisation: callers
  // validate against the bucket's seqlock or hold its lock.
  static uint32_t MatchTags(const Bucket& bk, uint8_t tag);

 private:
  bool ScanBucket(uint32_t b, const KeyLoc& loc, std::string_view key,
                  ValueDest* value, ItemMeta* meta, uint32_t* slot) const;

  char* const base_;
  const Geometry geo_;
  Bucket* const buckets_;
  Stripe* const stripes_;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_HASH_INDEX_H_
