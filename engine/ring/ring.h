// Ring: consistent hashing of keys over cache instances, as a lookup table.
//
// The 64-bit key hash (XXH3, stable across processes and machines) is mixed
// and cut to one of kBuckets equal buckets; a table of kBuckets entries names
// the member that owns each bucket. This is the fixed-partition scheme of
// Dynamo's "strategy 3": a lookup is one multiply, one shift and one load
// from a 32 KiB table, and the table is derived so that
//  - each member owns a share of buckets proportional to its weight (its
//    capacity), rounded by largest remainder, at least one bucket each:
//    balance is exact to one bucket, not subject to virtual-point variance;
//  - a change moves only what it must: adding a member moves exactly the
//    buckets it receives, all taken from members above their new quota;
//    removing one moves exactly its buckets; nothing else changes owner.
// Which buckets a member gives up is decided by a stable hash of (bucket,
// member), so the result depends only on the previous table and the change:
// every process derives the same table, and tables are persisted anyway.
//
// Immutable value type; thread-safe to share.
#ifndef CAIRN_ENGINE_RING_RING_H_
#define CAIRN_ENGINE_RING_RING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace cairn::ring {

inline constexpr uint32_t kBucketBits = 14;
inline constexpr uint32_t kBuckets = 1u << kBucketBits;
// Members per ring; also bounded by cache.instances' maximum.
inline constexpr uint32_t kMaxMembers = 256;

struct Member {
  uint32_t id = 0;              // stable instance id
  uint64_t capacity_bytes = 0;  // its weight; > 0
  bool operator==(const Member&) const = default;
};

class Ring {
 public:
  // Bucket of a key hash. Remixed so that the bits picking the bucket are
  // independent of those a cache instance uses for its own index.
  static uint32_t BucketOf(uint64_t key_hash) {
    return static_cast<uint32_t>(
        ((key_hash ^ (key_hash >> 31)) * 0x9e3779b97f4a7c15ull) >>
        (64 - kBucketBits));
  }

  // A ring over `members` (1..kMaxMembers, distinct ids, capacity > 0).
  [[nodiscard]] static absl::StatusOr<Ring> Create(std::vector<Member> members);
  // A ring from persisted parts; validates everything (untrusted input).
  [[nodiscard]] static absl::StatusOr<Ring> FromParts(
      std::vector<Member> members, std::vector<uint16_t> table);

  // The next ring after adding or removing one member, moving the least.
  [[nodiscard]] absl::StatusOr<Ring> WithAdded(const Member& member) const;
  [[nodiscard]] absl::StatusOr<Ring> WithRemoved(uint32_t id) const;

  // Index into members() of the owner of `key_hash`.
  uint32_t IndexFor(uint64_t key_hash) const {
    return table_[BucketOf(key_hash)];
  }
  uint32_t OwnerId(uint64_t key_hash) const {
    return members_[IndexFor(key_hash)].id;
  }

  const std::vector<Member>& members() const { return members_; }
  const std::vector<uint16_t>& table() const { return table_; }
  // Index of member `id`, or -1.
  int IndexOf(uint32_t id) const;
  // Buckets owned by each member, by index.
  std::vector<uint32_t> BucketCounts() const;
  // For each member of this ring, by index: the buckets `next` gives to
  // another instance (what a migration to `next` must move out of it).
  std::vector<uint32_t> BucketsLostTo(const Ring& next) const;
  // Names the table and members; equal rings have equal fingerprints.
  uint64_t Fingerprint() const;

  // An empty ring (no members): only to be assigned to. Lookups need a
  // ring from Create, FromParts, WithAdded or WithRemoved.
  Ring() = default;

 private:
  // Reassigns `table` (entries index `members`; kUnassigned for buckets of
  // removed members) so every member reaches its quota, moving the least.
  static void Rebalance(const std::vector<Member>& members,
                        std::vector<uint16_t>* table);

  std::vector<Member> members_;
  std::vector<uint16_t> table_;  // kBuckets entries, each < members_.size()
};

// Buckets each member should own: proportional to capacity, largest
// remainder, at least one each. Sums to kBuckets.
std::vector<uint32_t> Quotas(const std::vector<Member>& members);

}  // namespace cairn::ring

#endif  // CAIRN_ENGINE_RING_RING_H_
