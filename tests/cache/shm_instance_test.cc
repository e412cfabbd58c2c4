// Unit tests of one cache instance within one process: hits and misses, the
// version guard and fill protocol, TTL, eviction, bypass and failure modes.
#include "engine/cache/shm_instance.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cache/page_log.h"
#include "gtest/gtest.h"
#include "tests/cache/cache_test_util.h"

namespace cairn::cache {
namespace {

using testing::ScopedSegment;
using testing::SmallConfig;
using testing::V;

std::unique_ptr<ShmInstance> MustOpen(const InstanceConfig& c) {
  absl::StatusOr<std::unique_ptr<ShmInstance>> inst = ShmInstance::Open(c);
  EXPECT_TRUE(inst.ok()) << inst.status();
  return inst.ok() ? *std::move(inst) : nullptr;
}

// The word-at-a-time fingerprint match against the slot-by-slot truth,
// for every slot count and tag, including tag 0 (empty slots) and the
// reserved byte after the last tag, which must never match.
TEST(HashIndexTest, MatchTagsEqualsSlotBySlotScan) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    Bucket bk{};
    for (uint32_t i = 0; i < kSlotsPerBucket; ++i) {
      bk.tag[i].store(static_cast<uint8_t>(rng() % 4 == 0 ? 0 : rng() % 8),
                      std::memory_order_relaxed);
    }
    bk.reserved0 = static_cast<uint8_t>(rng() % 8);
    for (uint32_t tag = 0; tag < 8; ++tag) {
      uint32_t want = 0;
      for (uint32_t i = 0; i < kSlotsPerBucket; ++i) {
        if (bk.tag[i].load(std::memory_order_relaxed) == tag) want |= 1u << i;
      }
      ASSERT_EQ(HashIndex::MatchTags(bk, static_cast<uint8_t>(tag)), want)
          << "round " << round << " tag " << tag;
    }
  }
}

TEST(ShmInstanceTest, HitMissUpdateInvalidate) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->open_reason(), OpenReason::kCreated);

  std::string value;
  Version version;
  EXPECT_FALSE(cache->Get("k", &value, &version));
  cache->Update("k", "v1", V(10));
  ASSERT_TRUE(cache->Get("k", &value, &version));
  EXPECT_EQ(value, "v1");
  EXPECT_EQ(version, V(10));
  cache->Update("k", "value two", V(11));
  ASSERT_TRUE(cache->Get("k", &value, &version));
  EXPECT_EQ(value, "value two");
  EXPECT_EQ(version, V(11));
  cache->Update("", "empty key", V(12));
  ASSERT_TRUE(cache->Get("", &value, nullptr));
  EXPECT_EQ(value, "empty key");
  cache->Update("e", "", V(13));
  ASSERT_TRUE(cache->Get("e", &value, nullptr));
  EXPECT_EQ(value, "");

  cache->Invalidate("k", V(14));
  EXPECT_FALSE(cache->Get("k", &value, &version));

  const InstanceStats s = cache->Stats();
  EXPECT_EQ(s.hits, 4u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.updates, 4u);
  EXPECT_EQ(s.invalidations, 1u);
  EXPECT_EQ(s.items, 2u);
  EXPECT_EQ(s.capacity_bytes, 1u << 20);
  EXPECT_LE(s.used_bytes, s.capacity_bytes);
  EXPECT_EQ(s.open_detail, "created");
}

TEST(ShmInstanceTest, OlderUpdateNeverReplacesNewer) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  cache->Update("k", "new", V(20, 1));
  cache->Update("k", "old", V(19, 9));
  cache->Update("k", "same", V(20, 1));
  cache->Update("k", "lower node", V(20, 0));
  std::string value;
  Version version;
  ASSERT_TRUE(cache->Get("k", &value, &version));
  EXPECT_EQ(value, "new");
  EXPECT_EQ(cache->Stats().update_rejected, 3u);
  cache->Update("k", "higher node", V(20, 2));
  ASSERT_TRUE(cache->Get("k", &value, &version));
  EXPECT_EQ(value, "higher node");
}

TEST(ShmInstanceTest, InvalidateKeepsNewerEntry) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  cache->Update("k", "v3", V(3));
  cache->Invalidate("k", V(2));
  std::string value;
  ASSERT_TRUE(cache->Get("k", &value, nullptr));
  EXPECT_EQ(value, "v3");
}

TEST(ShmInstanceTest, UpdateOlderThanDeleteIsRejected) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  // A put (version 4) whose cache update arrives after the delete (5).
  cache->Invalidate("k", V(5));
  cache->Update("k", "stale", V(4));
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  cache->Update("k", "fresh", V(6));
  std::string value;
  ASSERT_TRUE(cache->Get("k", &value, nullptr));
  EXPECT_EQ(value, "fresh");
}

TEST(ShmInstanceTest, FillWithUntouchedTokenInserts) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  const FillToken t = cache->BeginFill("k");
  EXPECT_TRUE(t.valid);
  EXPECT_TRUE(cache->Fill("k", "from leveldb", V(7), t));
  std::string value;
  Version version;
  ASSERT_TRUE(cache->Get("k", &value, &version));
  EXPECT_EQ(value, "from leveldb");
  EXPECT_EQ(version, V(7));
  // A second fill of the same version is a no-op, an older one is refused.
  EXPECT_FALSE(cache->Fill("k", "again", V(7), cache->BeginFill("k")));
  EXPECT_FALSE(cache->Fill("k", "older", V(6), cache->BeginFill("k")));
  ASSERT_TRUE(cache->Get("k", &value, &version));
  EXPECT_EQ(value, "from leveldb");
  const InstanceStats s = cache->Stats();
  EXPECT_EQ(s.fills, 1u);
  EXPECT_EQ(s.fill_rejected, 2u);
}

TEST(ShmInstanceTest, FillAfterConcurrentUpdateIsRejected) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  const FillToken t = cache->BeginFill("k");
  // The engine read version 1 from LevelDB; meanwhile a put of 2 landed.
  cache->Update("k", "v2", V(2));
  EXPECT_FALSE(cache->Fill("k", "v1", V(1), t));
  std::string value;
  Version version;
  ASSERT_TRUE(cache->Get("k", &value, &version));
  EXPECT_EQ(version, V(2));
}

TEST(ShmInstanceTest, FillAfterConcurrentDeleteIsRejected) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  const FillToken t = cache->BeginFill("k");
  cache->Invalidate("k", V(2));
  EXPECT_FALSE(cache->Fill("k", "v1", V(1), t));
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
}

TEST(ShmInstanceTest, FillAfterPutAndEvictionIsRejected) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg, 64 << 10));
  const FillToken t = cache->BeginFill("k");
  cache->Update("k", "v2", V(1000000));
  ASSERT_TRUE(cache->Get("k", nullptr, nullptr));
  // Push "k" out with other keys. (Get marks it referenced, so it gets
  // one second chance; many times the capacity of new keys evict it.)
  const std::string filler(200, 'f');
  for (int i = 0; i < 5000; ++i) {
    cache->Update(absl::StrCat("other", i), filler, V(1000001 + i));
  }
  ASSERT_FALSE(cache->Get("k", nullptr, nullptr)) << "k was never evicted";
  EXPECT_GT(cache->Stats().evictions, 0u);
  // The fill read version 1 before the put: it must not resurrect it.
  EXPECT_FALSE(cache->Fill("k", "v1", V(1), t));
  // Nor may a late update older than what was evicted.
  cache->Update("k", "v1", V(1));
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  // A fill that starts now sees LevelDB's newest value and may insert it.
  EXPECT_TRUE(cache->Fill("k", "v2", V(1000000), cache->BeginFill("k")));
}

TEST(ShmInstanceTest, TtlExpiresWithInjectedClock) {
  ScopedSegment seg;
  auto now = std::make_shared<std::atomic<uint64_t>>(5000);
  InstanceConfig c = SmallConfig(seg);
  c.ttl_ms = 1000;
  c.now_ms = [now] { return now->load(); };
  auto cache = MustOpen(c);
  cache->Update("k", "v", V(1));
  *now += 999;
  EXPECT_TRUE(cache->Get("k", nullptr, nullptr));
  *now += 1;
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  EXPECT_EQ(cache->Stats().expirations, 1u);
  // Refilling the same version after expiry works and restarts the clock.
  EXPECT_TRUE(cache->Fill("k", "v", V(1), cache->BeginFill("k")));
  EXPECT_TRUE(cache->Get("k", nullptr, nullptr));
  *now += 500;
  EXPECT_TRUE(cache->Get("k", nullptr, nullptr));
  // ForEach skips expired items.
  cache->Update("j", "w", V(2));
  *now += 600;
  int seen = 0;
  cache->ForEach([&](std::string_view key, std::string_view, const Version&) {
    EXPECT_EQ(key, "j");
    ++seen;
    return true;
  });
  EXPECT_EQ(seen, 1);
}

TEST(ShmInstanceTest, EvictionKeepsUsageWithinCapacity) {
  ScopedSegment seg;
  const uint64_t capacity = 1 << 20;
  auto cache = MustOpen(SmallConfig(seg, capacity));
  std::mt19937_64 rng(42);
  std::string value;
  uint64_t version = 0;
  for (int i = 0; i < 30000; ++i) {
    const std::string key = absl::StrCat("key", rng() % 5000);
    const size_t size = rng() % 8 == 0 ? rng() % 6000 : rng() % 300;
    cache->Update(key, std::string(size, static_cast<char>('a' + i % 26)),
                  V(++version));
    if (rng() % 4 == 0)
      cache->Get(absl::StrCat("key", rng() % 5000), &value, nullptr);
    if (i % 500 == 0) {
      const InstanceStats s = cache->Stats();
      ASSERT_LE(s.used_bytes, s.capacity_bytes);
      ASSERT_LE(s.live_bytes + s.page_size, s.used_bytes + s.page_size);
    }
    // The item just written is readable (it fits in a page).
    ASSERT_TRUE(cache->Get(key, &value, nullptr)) << i;
    ASSERT_EQ(value.size(), size);
  }
  const InstanceStats s = cache->Stats();
  EXPECT_GT(s.evictions, 0u);
  EXPECT_LE(s.used_bytes, capacity);
  uint64_t items = 0, bytes = 0;
  cache->ForEach([&](std::string_view k, std::string_view v, const Version&) {
    ++items;
    bytes += ItemBytes(k.size(), v.size());
    return true;
  });
  EXPECT_EQ(items, s.items);
  EXPECT_EQ(bytes, s.live_bytes);
  // Most of the data area holds live items, not dead space.
  EXPECT_GT(s.live_bytes, capacity / 2);
}

// Writes a stream of cold keys, ten times the capacity, never read again,
// and after about one in four reads a random key of a hot set, filling it on
// a miss as the engine does. Returns the hot set's hit ratio.
double HotSetHitRatio(ShmInstance* cache, uint64_t capacity, size_t value_size,
                      int hot_keys, uint64_t seed) {
  const std::string value(value_size, 'v');
  std::mt19937_64 rng(seed);
  uint64_t version = 0, hot_reads = 0, hot_hits = 0;
  const uint64_t cold_keys = 10 * capacity / ItemBytes(8, value_size);
  for (uint64_t cold = 0; cold < cold_keys; ++cold) {
    cache->Update(absl::StrCat("cold", cold), value, V(++version));
    if (rng() % 4 != 0) continue;
    const std::string key = absl::StrCat("hot", rng() % hot_keys);
    ++hot_reads;
    if (cache->Get(key, nullptr, nullptr)) {
      ++hot_hits;
    } else {
      cache->Fill(key, value, V(++version), cache->BeginFill(key));
    }
  }
  EXPECT_GT(cache->Stats().evictions, 2 * capacity / ItemBytes(8, value_size));
  return static_cast<double>(hot_hits) / hot_reads;
}

// CLOCK's second chance is what keeps a hot set through a scan: without it,
// or with it sparing the wrong items, every pass of the scan through the
// cache takes the hot set with it. Two shapes: items large enough that pages
// run out first (page eviction relocates referenced items), and items so
// small that index buckets fill first (the bucket's CLOCK hand skips
// referenced slots). Fixed seed: the same figures on every run.
TEST(ShmInstanceTest, HotSetSurvivesAScanLargerThanTheCache) {
  const uint64_t capacity = 256 << 10;
  struct Shape {
    const char* name;
    size_t value_size;
    int hot_keys;
  };
  // Hot sets of about 9% and 8% of what the cache holds; each hot key is
  // read about three times per pass of the scan through the cache.
  for (const Shape& shape :
       {Shape{"page-bound", 400, 50}, Shape{"index-bound", 8, 150}}) {
    ScopedSegment seg;
    auto cache = MustOpen(SmallConfig(seg, capacity));
    ASSERT_NE(cache, nullptr);
    const double ratio = HotSetHitRatio(cache.get(), capacity, shape.value_size,
                                        shape.hot_keys, 20);
    // 0.93 and 0.91 with second chance; 0.58 and 0.47 with it inverted.
    EXPECT_GT(ratio, 0.8) << shape.name << ": the scan evicted the hot set";
  }
}

TEST(ShmInstanceTest, CapacityTooSmallIsRejected) {
  ScopedSegment seg;
  absl::StatusOr<std::unique_ptr<ShmInstance>> cache =
      ShmInstance::Open(SmallConfig(seg, 4096));
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(cache.status().message().find("4096"), std::string::npos);
}

TEST(ShmInstanceTest, ItemLargerThanAPageBypasses) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg, kMinCapacity));
  const uint64_t page = cache->Stats().page_size;
  cache->Update("big", std::string(page, 'x'), V(1));
  EXPECT_FALSE(cache->Get("big", nullptr, nullptr));
  EXPECT_EQ(cache->Stats().bypassed, 1u);
  cache->Update("small", "fits", V(2));
  EXPECT_TRUE(cache->Get("small", nullptr, nullptr));
}

TEST(ShmInstanceTest, MaxItemSizeBypassInvalidatesOldValue) {
  ScopedSegment seg;
  InstanceConfig c = SmallConfig(seg);
  c.max_item_size = 100;
  auto cache = MustOpen(c);
  cache->Update("k", std::string(100, 'a'), V(1));
  EXPECT_TRUE(cache->Get("k", nullptr, nullptr));
  cache->Update("k", std::string(101, 'b'), V(2));
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  EXPECT_FALSE(
      cache->Fill("k", std::string(101, 'b'), V(2), cache->BeginFill("k")));
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  EXPECT_EQ(cache->Stats().bypassed, 2u);
  // Keys too long to cache never hit.
  const std::string long_key(kMaxKeyBytes + 1, 'k');
  cache->Update(long_key, "v", V(3));
  EXPECT_FALSE(cache->Get(long_key, nullptr, nullptr));
}

TEST(ShmInstanceTest, ForEachAndErase) {
  ScopedSegment seg;
  auto cache = MustOpen(SmallConfig(seg));
  for (int i = 0; i < 200; ++i) {
    cache->Update(absl::StrCat("k", i), absl::StrCat("v", i), V(100 + i));
  }
  int seen = 0;
  cache->ForEach(
      [&](std::string_view k, std::string_view v, const Version& version) {
        const int i = std::stoi(std::string(k.substr(1)));
        EXPECT_EQ(v, absl::StrCat("v", i));
        EXPECT_EQ(version, V(100 + i));
        ++seen;
        return true;
      });
  EXPECT_EQ(seen, 200);
  int visited = 0;
  cache->ForEach([&](std::string_view, std::string_view, const Version&) {
    return ++visited < 5;
  });
  EXPECT_EQ(visited, 5);
  EXPECT_FALSE(cache->Erase("k7", V(106)));  // cached version is newer
  EXPECT_TRUE(cache->Erase("k7", V(107)));
  EXPECT_FALSE(cache->Get("k7", nullptr, nullptr));
  EXPECT_FALSE(cache->Erase("k7", V(107)));
  EXPECT_EQ(cache->Stats().erases, 1u);
  EXPECT_EQ(cache->Stats().items, 199u);
}

TEST(ShmInstanceTest, SegmentIsCreatedWithMode0600) {
  ScopedSegment seg;
  const mode_t old = umask(0);
  auto cache = MustOpen(SmallConfig(seg));
  umask(old);
  struct stat st;
  ASSERT_EQ(stat(seg.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ShmInstanceTest, SegmentNameIsStableAndShort) {
  const std::string a = SegmentName("/var/lib/db", 3);
  EXPECT_EQ(a, SegmentName("/var/lib/db", 3));
  EXPECT_NE(a, SegmentName("/var/lib/db", 4));
  EXPECT_NE(a, SegmentName("/var/lib/db2", 3));
  EXPECT_NE(a, SegmentName("/var/lib/db", 3, geteuid() + 1));
  const std::string prefix = absl::StrFormat("/cairn-%d-", geteuid());
  EXPECT_EQ(a.rfind(prefix, 0), 0u) << a;
  EXPECT_EQ(a.size(), prefix.size() + std::string("0123456789abcdef-3").size());
  EXPECT_EQ(a.find('/', 1), std::string::npos);
  const std::string alt = AlternateSegmentName(a);
  EXPECT_EQ(alt.rfind(a + ".", 0), 0u) << alt;
  EXPECT_NE(alt, AlternateSegmentName(a));
}

TEST(ShmInstanceTest, BadNamesAreRejected) {
  for (const char* name : {"", "/", "noslash", "/a/b"}) {
    InstanceConfig c;
    c.segment_name = name;
    absl::StatusOr<std::unique_ptr<ShmInstance>> cache = ShmInstance::Open(c);
    ASSERT_FALSE(cache.ok()) << name;
    EXPECT_EQ(cache.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ShmInstanceTest, SharedMemoryFullIsAnErrorNotACrash) {
  ScopedSegment seg;
  InstanceConfig c = SmallConfig(seg);
  c.test_hook = [](std::string_view point) {
    return point == "create:reserve" ? ENOSPC : 0;
  };
  absl::StatusOr<std::unique_ptr<ShmInstance>> cache = ShmInstance::Open(c);
  ASSERT_FALSE(cache.ok());
  EXPECT_EQ(cache.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(cache.status().message().find("No space"), std::string::npos);
  struct stat st;
  EXPECT_NE(stat(seg.path().c_str(), &st), 0) << "segment left behind";
}

TEST(ShmInstanceTest, StuckLockFailsTheInstanceInsteadOfHanging) {
  ScopedSegment seg;
  InstanceConfig c = SmallConfig(seg);
  c.lock_timeout_ms = 100;
  std::atomic<bool> hold{false}, holding{false}, release{false};
  c.test_hook = [&](std::string_view point) {
    if (point == "write:locked" && hold.exchange(false)) {
      holding = true;
      while (!release) std::this_thread::yield();
    }
    return 0;
  };
  auto cache = MustOpen(c);
  cache->Update("k", "v1", V(1));
  hold = true;
  std::thread holder([&] { cache->Update("k", "v2", V(2)); });
  while (!holding) std::this_thread::yield();
  // A reader of the held bucket gives up with a miss.
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  // A writer times out and fails the instance.
  const auto start = std::chrono::steady_clock::now();
  cache->Update("k", "v3", V(3));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  InstanceStats s = cache->Stats();
  EXPECT_FALSE(s.healthy);
  EXPECT_NE(s.failure.find("is alive"), std::string::npos) << s.failure;
  release = true;
  holder.join();
  // Failed: only misses from now on, and no clean close.
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  EXPECT_FALSE(cache->MarkClean(1).ok());
  cache.reset();
  InstanceConfig again = SmallConfig(seg);
  again.expected_sequence = 1;
  auto reopened = MustOpen(again);
  EXPECT_EQ(reopened->open_reason(), OpenReason::kRebuiltDirty);
  EXPECT_FALSE(reopened->Get("k", nullptr, nullptr));
}

TEST(ShmInstanceTest, OneMillionSmallItemsFitWithin25PercentOverhead) {
  ScopedSegment seg;
  constexpr uint64_t kItems = 1000000;
  constexpr uint64_t kKeyValueBytes = 16 + 100;
  const uint64_t capacity = kItems * kKeyValueBytes * 125 / 100;
  auto cache = MustOpen(SmallConfig(seg, capacity));
  ASSERT_NE(cache, nullptr);
  char key[17];
  const std::string value(100, 'v');
  for (uint64_t i = 0; i < kItems; ++i) {
    snprintf(key, sizeof(key), "key%013llu",
             static_cast<unsigned long long>(i));
    cache->Update(std::string_view(key, 16), value, V(i + 1));
  }
  const InstanceStats s = cache->Stats();
  EXPECT_EQ(s.items, kItems);
  EXPECT_EQ(s.evictions, 0u);
  for (uint64_t i = 0; i < kItems; i += 997) {
    snprintf(key, sizeof(key), "key%013llu",
             static_cast<unsigned long long>(i));
    ASSERT_TRUE(cache->Get(std::string_view(key, 16), nullptr, nullptr)) << i;
  }
  std::printf(
      "P9: capacity %llu B for %llu items: %.1f B/item overhead "
      "(%.1f%%), live %llu B, used %llu B\n",
      static_cast<unsigned long long>(capacity),
      static_cast<unsigned long long>(s.items),
      double(capacity) / s.items - kKeyValueBytes,
      100.0 * (double(capacity) / (s.items * kKeyValueBytes) - 1),
      static_cast<unsigned long long>(s.live_bytes),
      static_cast<unsigned long long>(s.used_bytes));
}

}  // namespace
}  // namespace cairn::cache

namespace cairn::cache::testing {
namespace {

uint64_t ResidentBytes(const ScopedSegment& seg) {
  struct stat st;
  if (stat(seg.path().c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

// Capacity is a ceiling, not a reservation: an empty instance holds its
// metadata only, and memory grows with the data cached.
TEST(ShmInstanceMemoryTest, ResidentMemoryFollowsTheDataCached) {
  ScopedSegment seg;
  InstanceConfig c = SmallConfig(seg, 16 << 20);
  absl::StatusOr<std::unique_ptr<ShmInstance>> cache = ShmInstance::Open(c);
  ASSERT_TRUE(cache.ok()) << cache.status();
  const uint64_t empty = ResidentBytes(seg);
  EXPECT_GT(empty, 0u);
  EXPECT_LE(empty, 1u << 20) << "an empty 16 MiB instance";
  const std::string value(100, 'v');
  for (int i = 0; i < 2000; ++i) {
    (*cache)->Update(absl::StrCat("key-", i), value, V(i + 1));
  }
  const uint64_t some = ResidentBytes(seg);
  EXPECT_GT(some, empty);
  EXPECT_LE(some, empty + (2000 * 136) + (1 << 20)) << "2000 items of 136 B";
  for (int i = 0; i < 200000; ++i) {  // ~27 MB through a 16 MiB instance
    (*cache)->Update(absl::StrCat("key-", i), value, V(i + 1));
  }
  EXPECT_LE(ResidentBytes(seg), uint64_t{16} << 20);
  std::string got;
  EXPECT_TRUE((*cache)->Get("key-199999", &got, nullptr));
  EXPECT_EQ(got, value);
}

// A warm reattach backs what the segment held, not more: the page being
// filled is backed as far as it was carved (in PageLog::kBackStep steps), not
// whole, so a reopened cache does not grow by up to a page per instance.
TEST(ShmInstanceMemoryTest, WarmReattachBacksOnlyTheCarvedPartOfTheHeadPage) {
  ScopedSegment seg;
  InstanceConfig c = SmallConfig(seg, 16 << 20);
  const std::string value(100, 'v');
  uint64_t before = 0;
  uint32_t page_size = 0;
  {
    absl::StatusOr<std::unique_ptr<ShmInstance>> cache = ShmInstance::Open(c);
    ASSERT_TRUE(cache.ok()) << cache.status();
    page_size = (*cache)->Stats().page_size;
    // 700 items of 136 bytes: part of the first page.
    for (int i = 0; i < 700; ++i) {
      (*cache)->Update(absl::StrCat("key-", i), value, V(i + 1));
    }
    ASSERT_LT(700u * 136u + 2 * PageLog::kBackStep, page_size)
        << "the test needs a head page with room left";
    ASSERT_TRUE((*cache)->MarkClean(7).ok());
    before = ResidentBytes(seg);
  }
  c.expected_sequence = 7;
  absl::StatusOr<std::unique_ptr<ShmInstance>> cache = ShmInstance::Open(c);
  ASSERT_TRUE(cache.ok()) << cache.status();
  ASSERT_EQ((*cache)->open_reason(), OpenReason::kWarm);
  EXPECT_LE(ResidentBytes(seg), before)
      << "reattach backed more than the closed segment held (page of "
      << page_size << " bytes)";
  // It keeps filling the page, backing ahead as before.
  for (int i = 700; i < 1400; ++i) {
    (*cache)->Update(absl::StrCat("key-", i), value, V(i + 1));
  }
  std::string got;
  for (int i : {0, 699, 700, 1399}) {
    ASSERT_TRUE((*cache)->Get(absl::StrCat("key-", i), &got, nullptr)) << i;
    EXPECT_EQ(got, value);
  }
  EXPECT_GT(ResidentBytes(seg), before);
}

// When /dev/shm cannot back a page, the write is not cached and an older
// cached value of the key is not served either.
TEST(ShmInstanceMemoryTest, PageThatCannotBeBackedDropsTheWrite) {
  ScopedSegment seg;
  std::atomic<bool> full{false};
  InstanceConfig c = SmallConfig(seg, 4 << 20);
  c.test_hook = [&full](std::string_view point) {
    return point == "back:page" && full.load() ? ENOSPC : 0;
  };
  absl::StatusOr<std::unique_ptr<ShmInstance>> cache = ShmInstance::Open(c);
  ASSERT_TRUE(cache.ok()) << cache.status();
  (*cache)->Update("k", "old", V(1));
  std::string got;
  ASSERT_TRUE((*cache)->Get("k", &got, nullptr));
  full = true;
  // Enough bytes to need pages beyond those backed so far.
  const std::string big(8000, 'n');
  for (int i = 0; i < 2000; ++i) {
    (*cache)->Update(absl::StrCat("other-", i), big, V(10 + i));
  }
  (*cache)->Update("k", std::string(8000, 'x'), V(5000));
  EXPECT_FALSE((*cache)->Get("k", &got, nullptr)) << "served " << got.size();
  EXPECT_TRUE((*cache)->Stats().healthy);
  full = false;
  (*cache)->Update("k", "new", V(6000));
  ASSERT_TRUE((*cache)->Get("k", &got, nullptr));
  EXPECT_EQ(got, "new");
}

}  // namespace
}  // namespace cairn::cache::testing
