// Stats: the engine's operation counters.
//
// Counters are sharded over cache-line-sized slots picked per thread, so
// readers on different cores do not bounce one line between them; reading a
// total sums the shards. An add is a relaxed load and store, not a locked
// read-modify-write: a locked instruction is a full barrier on x86, costs
// ~20 cycles, and a hit adds three counters (the same trade as
// cache/sharded_counters.h). The price: when more than kShards threads
// share shards, concurrent adds to one shard can lose counts. Every method
// is thread-safe (no data race); totals are approximate while operations
// run concurrently.
#ifndef CAIRN_ENGINE_STATS_H_
#define CAIRN_ENGINE_STATS_H_

#include <atomic>
#include <cstdint>

#include "engine/thread_shard.h"

namespace cairn {

enum class Counter : int {
  kPuts,
  kDeletes,
  kBatches,
  kBatchOps,
  kGets,
  kGetHits,
  kGetMisses,
  kIterators,
  kSnapshots,
  kBytesWritten,
  kBytesRead,
  kWriteErrors,
  kTombstonesPurged,  // Db::PurgeTombstones
  kApplyGuardReads,   // stored records Db::Apply read for its version guard
  kApplyGuardSkips,   // received ops newer than every stored version: no read
  kCount
};

const char* CounterName(Counter c);

class Stats {
 public:
  void Add(Counter c, uint64_t n = 1) {
    std::atomic<uint64_t>& v = shards_[ShardIndex()].v[static_cast<int>(c)];
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get(Counter c) const;

 private:
  static constexpr int kShards = 16;
  static int ShardIndex() { return ThreadShard<kShards>(); }

  struct alignas(64) Shard {
    std::atomic<uint64_t> v[static_cast<int>(Counter::kCount)] = {};
  };
  Shard shards_[kShards];
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_STATS_H_
