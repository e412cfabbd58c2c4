// get_benchmark.h — BM_Get: gets over one store's loaded data set
// (fixtures.h), the same code for every store so that only the store
// differs between BM_CairnGet and its peers.
//
// Keys come from the shared streams (workload.h): the same per-thread
// uniform, zipfian and miss streams for every store, and one scan pass per
// data set that all threads and runs continue. For Cairn, thread 0 also
// reads the cache's hit and miss counters around the timed loop and reports
// their ratio as the "cache_hit_ratio" counter, which shows that a cached
// get hit and a cold one missed.
#ifndef CAIRN_BENCHMARKS_GET_BENCHMARK_H_
#define CAIRN_BENCHMARKS_GET_BENCHMARK_H_

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "bench_config.h"
#include "cairn_store.h"
#include "fixtures.h"
#include "store.h"
#include "workload.h"

namespace cairn_bench {

// The stream of (distribution, thread index), built on first use; a kScan
// stream is the same for every thread.
const IndexStream& StreamFor(Distribution distribution, int thread_index);

// Cairn's cache hits and misses over a run, read by thread 0 around its
// loop (multi-threaded runs start and end their loops together). Other
// stores have no such counters.
template <typename Store>
class HitRatioProbe {
 public:
  HitRatioProbe(Store& /*store*/, bool /*active*/) {}
  void Report(benchmark::State& /*state*/) {}
};

template <>
class HitRatioProbe<CairnStore> {
 public:
  HitRatioProbe(CairnStore& store, bool active) : store_(store) {
    active_ = active && Read(&hits_, &misses_);
  }

  void Report(benchmark::State& state) {
    uint64_t hits = 0;
    uint64_t misses = 0;
    if (!active_ || !Read(&hits, &misses)) return;
    const uint64_t lookups = (hits - hits_) + (misses - misses_);
    if (lookups == 0) return;
    state.counters["cache_hit_ratio"] =
        static_cast<double>(hits - hits_) / static_cast<double>(lookups);
  }

 private:
  bool Read(uint64_t* hits, uint64_t* misses) {
    CacheSnapshot snapshot;
    std::string error;
    if (!store_.CacheStats(&snapshot, &error)) return false;
    *hits = snapshot.total.hits;
    *misses = snapshot.total.misses;
    return true;
  }

  CairnStore& store_;
  bool active_ = false;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

template <typename Store, Setup kSetup>
void BM_Get(benchmark::State& state, Distribution distribution) {
  Fixture<Store>& data_set = DataSet<Store, kSetup>();
  if (data_set.store == nullptr) {
    state.SkipWithError(data_set.error.c_str());
    return;
  }
  Store& store = *data_set.store;
  // One scan pass per data set, continued by every thread and run, so a
  // key comes back only after all the others (workload.h).
  static std::atomic<uint64_t> scan_chunks{0};
  StreamCursor cursor(
      StreamFor(distribution, state.thread_index()),
      distribution == Distribution::kScan ? &scan_chunks : nullptr);
  const GetResult expected = distribution == Distribution::kMiss
                                 ? GetResult::kNotFound
                                 : GetResult::kFound;
  typename Store::Scratch scratch;
  std::string error;
  char key[kKeySize];
  size_t wrong_size = 0;
  HitRatioProbe<Store> probe(store, state.thread_index() == 0);
  for (auto _ : state) {
    FormatKey(cursor.Next(), key);
    const GetResult result = store.Get(
        std::string_view(key, kKeySize), &scratch,
        [&](std::string_view value) {
          benchmark::DoNotOptimize(value.front());
          wrong_size += value.size() != kValueSize;
        },
        &error);
    if (result != expected) {
      error = "get " + std::string(key, kKeySize) + ": " +
              (result == GetResult::kError   ? error
               : result == GetResult::kFound ? "found a key never written"
                                             : "a loaded key is missing");
      state.SkipWithError(error.c_str());
      break;
    }
  }
  if (wrong_size != 0) {
    state.SkipWithError("a get returned a wrong-sized value");
  }
  probe.Report(state);
  state.SetItemsProcessed(state.iterations());
}

// Registers `prefix` + "/<distribution>" ("Miss" for kMiss) on 1 and 2
// threads, over the data set of `Store` under kSetup.
template <typename Store, Setup kSetup = Setup::kLargeBlockCache>
void RegisterGet(const std::string& prefix, Distribution distribution) {
  const std::string name = distribution == Distribution::kMiss
                               ? prefix + "Miss"
                               : prefix + "/" + DistributionName(distribution);
  benchmark::RegisterBenchmark(name.c_str(), BM_Get<Store, kSetup>,
                               distribution)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
}

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_GET_BENCHMARK_H_
