#include "memory_benchmark.h"

#include <benchmark/benchmark.h>

#include <string>

#include "bench_config.h"
#include "cairn_store.h"
#include "fixtures.h"
#include "workload.h"

namespace cairn_bench {
namespace {

template <Setup kSetup>
void BM_CairnCacheMemory(benchmark::State& state) {
  Fixture<CairnStore>& data_set = DataSet<CairnStore, kSetup>();
  if (data_set.store == nullptr) {
    state.SkipWithError(data_set.error.c_str());
    return;
  }
  CacheSnapshot snapshot;
  std::string error;
  for (auto _ : state) {
    if (!data_set.store->CacheStats(&snapshot, &error)) {
      state.SkipWithError(error.c_str());
      return;
    }
  }
  const CacheInstanceStats& total = snapshot.total;
  if (total.items == 0) {
    state.SkipWithError("the cache holds no items");
    return;
  }
  const double data_bytes =
      static_cast<double>(total.items) * (kKeySize + kValueSize);
  state.counters["overhead"] =
      static_cast<double>(total.used_bytes) / data_bytes - 1.0;
  state.counters["item_overhead"] =
      static_cast<double>(total.live_bytes) / data_bytes - 1.0;
  // What the machine actually gives the cache: the segments' backed pages
  // (tmpfs blocks allocated, st_blocks). The P9 figure.
  if (total.resident_bytes > 0) {
    state.counters["resident_bytes"] =
        static_cast<double>(total.resident_bytes);
    state.counters["resident_overhead"] =
        static_cast<double>(total.resident_bytes) / data_bytes - 1.0;
  }
  state.counters["items"] = static_cast<double>(total.items);
  state.counters["keys"] = static_cast<double>(Config().keys);
  state.counters["evictions"] = static_cast<double>(total.evictions);
  state.counters["used_bytes"] = static_cast<double>(total.used_bytes);
  state.counters["live_bytes"] = static_cast<double>(total.live_bytes);
  state.counters["capacity_bytes"] = static_cast<double>(total.capacity_bytes);
}

}  // namespace

void RegisterCacheMemory() {
  benchmark::RegisterBenchmark("BM_CairnCacheMemory/fit",
                               BM_CairnCacheMemory<Setup::kLargeBlockCache>)
      ->Iterations(1)
      ->Repetitions(1);
  benchmark::RegisterBenchmark("BM_CairnCacheMemory/sized",
                               BM_CairnCacheMemory<Setup::kSizedCache>)
      ->Iterations(1)
      ->Repetitions(1);
  benchmark::RegisterBenchmark("BM_CairnCacheMemory/full",
                               BM_CairnCacheMemory<Setup::kColdCache>)
      ->Iterations(1)
      ->Repetitions(1);
}

}  // namespace cairn_bench
