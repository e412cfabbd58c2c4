// Key placement pinned to fixed values. Where a key lives must never change
// across builds, processes or machines: cache segments are reattached warm by
// the next process, layouts are persisted, and every node of a cluster must
// agree. A hash seeded per process (absl::Hash), a different XXH3 variant or
// seed, or a changed bucket mix would all still balance keys well, so only
// literal values catch them.
//
// The KeyHash values were computed independently of Cairn, with the xxhash
// tool's `printf '%s' KEY | xxhsum -H3` (xxHash 0.8.1).
#include "engine/cache/placement.h"

#include <cstdint>
#include <string>
#include <vector>

#include "engine/ring/ring.h"
#include "gtest/gtest.h"

namespace cairn {
namespace {

TEST(PlacementTest, KeyHashIsXxh3WithoutSeed) {
  struct Pin {
    std::string key;
    uint64_t hash;
  };
  const std::vector<Pin> pins = {
      {"", 0x2d06800538d394c2ull},
      {"a", 0xe6c632b61e964e1full},
      {"key-0", 0x819f6b51706f0178ull},
      {"key-1", 0x2d29f1336b0229f9ull},
      {"user:42", 0x9fc1e605fa7174aaull},
      {std::string("a\0b", 3), 0xd5a06cd078125351ull},
      {"the quick brown fox jumps over the lazy dog", 0xe4541a9cacf545aaull},
      {std::string(200, 'k'), 0x0cfc752b8bd78350ull},
      {std::string(1000, 'v'), 0xd8a0bd674ac55a83ull},
  };
  for (const Pin& pin : pins) {
    EXPECT_EQ(cache::KeyHash(pin.key), pin.hash)
        << "key of " << pin.key.size() << " bytes '" << pin.key.substr(0, 20)
        << "'";
  }
}

TEST(PlacementTest, RingBucketOfAKeyHashIsFixed) {
  EXPECT_EQ(ring::Ring::BucketOf(0), 0u);
  EXPECT_EQ(ring::Ring::BucketOf(0x0123456789abcdefull), 14900u);
  EXPECT_EQ(ring::Ring::BucketOf(0x819f6b51706f0178ull), 11873u);
  EXPECT_EQ(ring::Ring::BucketOf(UINT64_MAX), 90u);
}

// The whole path, key to instance id, in a fresh ring of four equal
// instances (what a database opened with cache.instances=4 starts with).
TEST(PlacementTest, OwnerOfAKeyInAFreshRingIsFixed) {
  std::vector<ring::Member> members;
  for (uint32_t id = 0; id < 4; ++id) members.push_back({id, 16ull << 20});
  absl::StatusOr<ring::Ring> ring = ring::Ring::Create(members);
  ASSERT_TRUE(ring.ok()) << ring.status();
  const std::vector<uint32_t> owners = {0, 2, 0, 0, 1, 0, 3, 3,
                                        1, 3, 3, 2, 1, 0, 2, 0};
  for (size_t i = 0; i < owners.size(); ++i) {
    const std::string key = "key-" + std::to_string(i);
    EXPECT_EQ(ring->OwnerId(cache::KeyHash(key)), owners[i]) << key;
  }
}

}  // namespace
}  // namespace cairn
