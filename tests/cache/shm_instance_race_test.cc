// Races of one cache instance, forced into one exact interleaving with the
// instance's test hooks instead of hoping a stress run hits them:
//  - a page whose write is allocated but not yet linked is pinned, so
//    eviction never recycles it under the writer;
//  - a fill whose token was checked before a delete landed is still refused
//    when it links, so it cannot bring the deleted value back.
// Each hook runs the racing operation on the hooked thread itself, at the
// point the race needs, so the test is deterministic and single-threaded.
// The racing operation must never need a bucket the hooked thread holds
// (that would be a self-deadlock, ended by the lock timeout), so every key
// is chosen to share no index bucket with the key it races.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cache/hash_index.h"
#include "engine/cache/segment_layout.h"
#include "engine/cache/shm_instance.h"
#include "gtest/gtest.h"
#include "tests/cache/cache_test_util.h"

namespace cairn::cache {
namespace {

using testing::ScopedSegment;
using testing::SmallConfig;
using testing::V;

constexpr uint64_t kCapacity = 64 << 10;

// Where an instance of `capacity` bytes indexes a key: the instance's own
// computation, over a scratch index of the same geometry.
class IndexMap {
 public:
  explicit IndexMap(uint64_t capacity)
      : geo_(*ComputeGeometry(capacity)),
        scratch_(geo_.capacity),
        index_(scratch_.data(), geo_) {}

  // True if `a` and `b` lock a common bucket.
  bool ShareABucket(std::string_view a, std::string_view b) const {
    const KeyLoc x = index_.Locate(a), y = index_.Locate(b);
    return x.b1 == y.b1 || x.b1 == y.b2 || x.b2 == y.b1 || x.b2 == y.b2;
  }

  // `n` keys "<prefix><i>" that share no bucket with `avoid`.
  std::vector<std::string> KeysApartFrom(std::string_view avoid,
                                         std::string_view prefix, int n) const {
    std::vector<std::string> keys;
    for (int i = 0; static_cast<int>(keys.size()) < n; ++i) {
      std::string key = std::string(prefix) + std::to_string(i);
      if (!ShareABucket(key, avoid)) keys.push_back(std::move(key));
    }
    return keys;
  }

  const Geometry& geometry() const { return geo_; }

 private:
  const Geometry geo_;
  std::vector<char> scratch_;
  const HashIndex index_;
};

std::unique_ptr<ShmInstance> MustOpen(const InstanceConfig& c) {
  absl::StatusOr<std::unique_ptr<ShmInstance>> inst = ShmInstance::Open(c);
  EXPECT_TRUE(inst.ok()) << inst.status();
  return inst.ok() ? *std::move(inst) : nullptr;
}

// A writer stops between allocating its item (page pinned, item stored) and
// linking it; meanwhile other writes cycle through the whole data area. The
// held page must outlive them: eviction skips it (those writes are refused
// instead), and the held write lands intact. Evicting it would recycle the
// page under the writer; here that shows as the evictor waiting for the
// held key's buckets until the lock timeout fails the instance.
TEST(ShmInstanceRaceTest, PageOfAWriteNotYetLinkedIsNeverEvicted) {
  ScopedSegment seg;
  InstanceConfig c = SmallConfig(seg, kCapacity);
  c.lock_timeout_ms = 200;
  const IndexMap map(kCapacity);
  const std::string held_key = "held";
  const std::string held_value = "the write held before it linked";
  // Three times the data area, so the held page reaches the FIFO's end.
  const uint64_t data_bytes =
      uint64_t{map.geometry().num_pages} * map.geometry().page_size;
  const std::string filler(1000, 'f');
  const std::vector<std::string> others = map.KeysApartFrom(
      held_key, "other", static_cast<int>(3 * data_bytes / filler.size()));

  ShmInstance* cache = nullptr;
  bool armed = false, raced = false;
  InstanceStats while_held;
  c.test_hook = [&](std::string_view point) {
    if (point != "write:locked" || !armed) return 0;
    armed = false;  // the writes below pass here too
    raced = true;
    for (size_t i = 0; i < others.size(); ++i) {
      cache->Update(others[i], filler, V(100 + i));
    }
    while_held = cache->Stats();
    return 0;
  };
  std::unique_ptr<ShmInstance> owned = MustOpen(c);
  ASSERT_NE(owned, nullptr);
  cache = owned.get();

  // Newer than the other writes: evicting or refusing them raises their
  // stripes' version floors, which must not refuse the held write.
  const Version held_version = V(1000000);
  armed = true;
  cache->Update(held_key, held_value, held_version);
  ASSERT_TRUE(raced);
  const InstanceStats after = cache->Stats();
  ASSERT_TRUE(after.healthy)
      << "eviction waited for the held key's buckets, so it was evicting "
         "the held page: "
      << after.failure;
  // The interleaving happened: eviction reached the pinned page and,
  // unable to free it, refused the writes that needed room.
  EXPECT_GT(while_held.update_rejected, 0u);
  EXPECT_LT(while_held.updates, others.size());
  std::string value;
  Version version;
  ASSERT_TRUE(cache->Get(held_key, &value, &version));
  EXPECT_EQ(value, held_value);
  EXPECT_EQ(version, held_version);
  // Unpinned, the page is evictable again: writes find room.
  const uint64_t updates = after.updates;
  cache->Update("after", filler, V(2000000));
  EXPECT_TRUE(cache->Get("after", &value, nullptr));
  EXPECT_EQ(cache->Stats().updates, updates + 1);
  EXPECT_TRUE(cache->Stats().healthy);
}

// A fill took its token (the engine then read version 1 from LevelDB); its
// check before allocating passes; while its allocation evicts a page, a
// delete of the key lands. Linking must still refuse the fill: the key is
// absent, so nothing else stops version 1 from coming back.
TEST(ShmInstanceRaceTest, FillIsRefusedWhenADeleteLandsWhileItAllocates) {
  ScopedSegment seg;
  InstanceConfig c = SmallConfig(seg, kCapacity);
  c.lock_timeout_ms = 200;
  const IndexMap map(kCapacity);
  const std::string key = "k";
  // Items over half a page: every write takes a page of its own, so once
  // the data area is full every write (the fill too) evicts one.
  const uint32_t page = map.geometry().page_size;
  const std::string big(page / 2 + 64, 'b');
  const std::vector<std::string> others =
      map.KeysApartFrom(key, "other", 4 * map.geometry().num_pages);

  ShmInstance* cache = nullptr;
  bool armed = false, raced = false;
  c.test_hook = [&](std::string_view point) {
    if (point != "evict:locked" || !armed) return 0;
    armed = false;
    raced = true;
    cache->Invalidate(key, V(2));  // the delete, committed as version 2
    return 0;
  };
  std::unique_ptr<ShmInstance> owned = MustOpen(c);
  ASSERT_NE(owned, nullptr);
  cache = owned.get();

  uint64_t version = 100;
  for (size_t i = 0; i < others.size() && cache->Stats().evictions == 0; ++i) {
    cache->Update(others[i], big, V(++version));
  }
  ASSERT_GT(cache->Stats().evictions, 0u) << "the data area never filled";

  const FillToken token = cache->BeginFill(key);
  armed = true;
  EXPECT_FALSE(cache->Fill(key, big, V(1), token));
  ASSERT_TRUE(raced) << "the fill's allocation evicted nothing";
  EXPECT_FALSE(cache->Get(key, nullptr, nullptr))
      << "a fill from before the delete resurrected the deleted value";
  const InstanceStats s = cache->Stats();
  EXPECT_TRUE(s.healthy) << s.failure;
  EXPECT_EQ(s.fills, 0u);
  EXPECT_EQ(s.fill_rejected, 1u);
  // A fill that starts after the delete reads no value, so fills nothing; a
  // newer put is cached as usual.
  cache->Update(key, "v3", V(3));
  std::string value;
  ASSERT_TRUE(cache->Get(key, &value, nullptr));
  EXPECT_EQ(value, "v3");
}

}  // namespace
}  // namespace cairn::cache
