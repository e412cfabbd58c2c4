// p7_strategy.h — what cairn_p7 drives: one way of routing reads to cache
// instances and of adding an instance under load. Three implementations:
//
//   cairn       the product, through the C ABI (p7_cairn_strategy.h)
//   consistent  SIMULATION: ring::Ring without migration (p7_sim_strategy.h)
//   modulo      SIMULATION: hash % N (p7_sim_strategy.h)
//
// Thread safety: Read may be called from several reader threads at once,
// and concurrently with one AddInstance call; the other calls come from
// the sampling thread.
#ifndef CAIRN_BENCHMARKS_MIGRATION_P7_STRATEGY_H_
#define CAIRN_BENCHMARKS_MIGRATION_P7_STRATEGY_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "workload.h"

namespace p7 {

enum class ReadResult { kHit, kMiss, kUnknown, kError };

// What "cairn.migration" says; all zero and state "none" for simulations.
struct MigrationInfo {
  std::string state = "none";  // "stable", "migrating"; "none" for sims
  uint64_t moved_total = 0, moved_lazy = 0, moved_mover = 0;
  uint64_t remaining = 0, started_ms = 0, finished_ms = 0, rate = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual const char* name() const = 0;
  virtual bool simulated() const = 0;
  virtual std::string description() const = 0;
  // One read of record `index`; thread-safe. kUnknown: the store does not
  // say whether it hit (the product; counts come from its property).
  virtual ReadResult Read(uint64_t index, std::string_view key) = 0;
  // Adds one instance (called once, on its own thread, under load).
  virtual void AddInstance() = 0;
  // Cumulative cache hits and misses, if the store counts them itself.
  virtual bool CacheCounts(uint64_t* hits, uint64_t* misses) { return false; }
  virtual uint64_t CachedItems() = 0;
  virtual uint32_t Instances() = 0;
  virtual MigrationInfo Migration() { return {}; }
  // Why AddInstance failed; empty if it did not (or has not run).
  virtual std::string add_error() const { return {}; }
  // Share of the ring's buckets the add moved to the new instance; NaN
  // where there is no ring (the product, modulo).
  virtual double ring_moved_share() const { return NAN; }
};

// Whether `v` (n bytes) is the value of record `index`.
inline bool ValueOk(const cairn_bench::ValuePool& pool, uint64_t index,
                    const char* v, size_t n) {
  const std::string_view want = pool.Value(index);
  return n == want.size() && std::memcmp(v, want.data(), n) == 0;
}

}  // namespace p7

#endif  // CAIRN_BENCHMARKS_MIGRATION_P7_STRATEGY_H_
