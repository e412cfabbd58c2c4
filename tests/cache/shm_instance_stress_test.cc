// Multi-threaded stress of one cache instance against a model of LevelDB.
//
// Four threads run random puts, deletes, gets (with the fill protocol on a
// miss), erases and scans over a small key space, with a capacity small
// enough to force page eviction and relocation. The model is a
// version-guarded map (what LevelDB holds) plus, per key, the highest
// version of any acknowledged write. The checks (DESIGN invariants 1 and 2):
// every hit returns a version >= the newest write acknowledged before the
// get began, and its value is exactly the value written with that version.
// Run it under TSan and ASan as well.
#include <atomic>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/shm_instance.h"
#include "gtest/gtest.h"
#include "tests/cache/cache_test_util.h"

namespace cairn::cache {
namespace {

using testing::ScopedSegment;

constexpr int kKeys = 256;
constexpr int kThreads = 4;

// The value written with version v of key k: self-describing, of a size
// that varies with v (16..~2000 bytes), so a torn or stale copy is caught.
std::string ValueFor(int k, uint64_t v) {
  std::string s = absl::StrCat(k, ":", v, ":");
  s.resize(16 + (v * 37) % 1984, static_cast<char>('a' + v % 26));
  return s;
}

struct Model {
  struct Record {
    std::mutex mu;
    uint64_t version = 0;  // newest committed write (0 = never written)
    bool deleted = true;
  };
  Record records[kKeys];
  std::atomic<uint64_t> acked[kKeys] = {};
  std::atomic<uint64_t> clock{0};

  void Ack(int k, uint64_t v) {
    uint64_t cur = acked[k].load();
    while (cur < v && !acked[k].compare_exchange_weak(cur, v)) {
    }
  }
};

void Worker(ShmInstance* cache, Model* model, int seed, int ops,
            std::atomic<int>* failures) {
  std::mt19937_64 rng(seed);
  std::string value;
  for (int i = 0; i < ops && failures->load() == 0; ++i) {
    const int k = static_cast<int>(rng() % kKeys);
    const std::string key = absl::StrCat("key", k);
    const int op = static_cast<int>(rng() % 100);
    if (op < 25) {  // put
      const uint64_t v = ++model->clock;
      {
        Model::Record& r = model->records[k];
        std::lock_guard<std::mutex> lock(r.mu);
        if (v > r.version) {
          r.version = v;
          r.deleted = false;
        }
      }
      cache->Update(key, ValueFor(k, v), Version{v, 1});
      model->Ack(k, v);
    } else if (op < 33) {  // delete
      const uint64_t v = ++model->clock;
      {
        Model::Record& r = model->records[k];
        std::lock_guard<std::mutex> lock(r.mu);
        if (v > r.version) {
          r.version = v;
          r.deleted = true;
        }
      }
      cache->Invalidate(key, Version{v, 1});
      model->Ack(k, v);
    } else if (op < 35) {  // erase (migration moving the item away)
      Version ver;
      if (cache->Get(key, nullptr, &ver)) cache->Erase(key, ver);
    } else if (op < 36) {  // scan
      cache->ForEach(
          [&](std::string_view ks, std::string_view vs, const Version& ver) {
            int kk = -1;
            if (!absl::SimpleAtoi(std::string(ks.substr(3)), &kk) || kk < 0 ||
                kk >= kKeys || vs != ValueFor(kk, ver.hlc)) {
              ADD_FAILURE() << "scan saw a torn item for " << ks;
              failures->fetch_add(1);
              return false;
            }
            return true;
          });
    } else {  // get, fill on a miss
      const uint64_t floor = model->acked[k].load();
      Version ver;
      if (cache->Get(key, &value, &ver)) {
        if (ver.hlc < floor || value != ValueFor(k, ver.hlc)) {
          ADD_FAILURE() << "key " << k << ": got version " << ver.hlc
                        << " after version " << floor << " was acknowledged";
          failures->fetch_add(1);
        }
        continue;
      }
      const FillToken token = cache->BeginFill(key);
      uint64_t v;
      bool deleted;
      {
        Model::Record& r = model->records[k];
        std::lock_guard<std::mutex> lock(r.mu);
        v = r.version;
        deleted = r.deleted;
      }
      if (!deleted) cache->Fill(key, ValueFor(k, v), Version{v, 1}, token);
    }
  }
}

TEST(ShmInstanceStressTest, ConcurrentOpsNeverServeStaleValues) {
  ScopedSegment seg;
  InstanceConfig c;
  c.segment_name = seg.name();
  c.capacity_bytes = 256 << 10;  // ~150 items of ~1 KiB: constant eviction
  c.lock_timeout_ms = 10000;
  auto cache = ShmInstance::Open(c);
  ASSERT_TRUE(cache.ok()) << cache.status();
  Model model;
  std::atomic<int> failures{0};
  constexpr int kOps = 400000;  // per thread; ~15 s under TSan
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(Worker, cache->get(), &model, 1000 + t, kOps,
                         &failures);
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  const InstanceStats s = (*cache)->Stats();
  EXPECT_TRUE(s.healthy) << s.failure;
  EXPECT_LE(s.used_bytes, s.capacity_bytes);
  EXPECT_GT(s.hits, 0u);
  EXPECT_GT(s.fills, 0u);
  EXPECT_GT(s.evictions, 0u);
  // Quiescent: every cached item is exactly LevelDB's newest version.
  (*cache)->ForEach(
      [&](std::string_view ks, std::string_view, const Version& ver) {
        int k = 0;
        EXPECT_TRUE(absl::SimpleAtoi(std::string(ks.substr(3)), &k));
        EXPECT_FALSE(model.records[k].deleted) << ks;
        EXPECT_EQ(ver.hlc, model.records[k].version) << ks;
        return true;
      });
  std::printf(
      "stress: hits %llu misses %llu fills %llu fill_rejected %llu "
      "updates %llu update_rejected %llu evictions %llu items %llu\n",
      (unsigned long long)s.hits, (unsigned long long)s.misses,
      (unsigned long long)s.fills, (unsigned long long)s.fill_rejected,
      (unsigned long long)s.updates, (unsigned long long)s.update_rejected,
      (unsigned long long)s.evictions, (unsigned long long)s.items);
}

}  // namespace
}  // namespace cairn::cache
