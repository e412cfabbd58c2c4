// ShardedCounters: process-local event counters for the hot paths.
//
// Each thread adds to one of kShards cache-line-sized shards (picked once
// per thread, round robin), so reader threads do not contend on a counter
// line. An add is a relaxed load and store, not a locked read-modify-write:
// a locked instruction is a full barrier on x86 and would stop the CPU from
// overlapping the cache misses of consecutive Gets. The price: when more
// than kShards threads share shards, concurrent adds to one shard can lose
// counts. Statistics only; Sum() is not a consistent snapshot across
// counters. Thread-safe (no data race).
#ifndef CAIRN_ENGINE_CACHE_SHARDED_COUNTERS_H_
#define CAIRN_ENGINE_CACHE_SHARDED_COUNTERS_H_

#include <atomic>
#include <cstdint>

#include "engine/cache/segment_layout.h"
#include "engine/thread_shard.h"

namespace cairn::cache {

// `Index` names the counters 0..kCount-1 (an enum); ShardedCounters below
// is the instance's counters of segment_layout.h.
template <typename Index, int kCount>
class BasicShardedCounters {
 public:
  void Add(Index c, uint64_t n = 1) {
    std::atomic<uint64_t>& v = shards_[ShardIndex()].value[c];
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  uint64_t Sum(Index c) const {
    uint64_t total = 0;
    for (const Shard& s : shards_) {
      total += s.value[c].load(std::memory_order_relaxed);
    }
    return total;
  }

 private:
  static constexpr int kShards = 16;
  struct alignas(64) Shard {
    std::atomic<uint64_t> value[kCount] = {};
  };

  static int ShardIndex() { return ThreadShard<kShards>(); }

  Shard shards_[kShards];
};

using ShardedCounters = BasicShardedCounters<Counter, kNumCounters>;

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SHARDED_COUNTERS_H_
