// cairn_bench — Cairn through its C ABI against its peers, side by side in
// one run (BENCHMARKS.md: P1, P2, P3, P8, P9, P11). Same keys, values and
// key streams for every store (workload.h); 1M keys x 100 B by default.
//
//   BM_CairnGet/{uniform,zipf}       cached gets (Cairn's cache holds all),
//                                    cairn_get_into
//   BM_CairnCopyGet, BM_CairnMultiGet32  cairn_get and cairn_multi_get
//                                    (batch_benchmark.h; P13)
//   BM_LevelDBGet/{uniform,zipf}     raw LevelDB, same options, block cache
//                                    CAIRN_BENCH_BLOCK_CACHE_MB (256: fits)
//   BM_LevelDBSmallCacheGet/{uniform,zipf,scan}
//                                    raw LevelDB, block cache
//                                    CAIRN_BENCH_SMALL_BLOCK_CACHE_MB (8)
//   BM_LmdbGet/{uniform,zipf}        LMDB (lmdb_store.h)
//   BM_MapGet/{uniform,zipf}         std::unordered_map (map_store.h)
//   BM_CairnColdGet/scan             Cairn with a cache of ~10% of the data
//                                    and the small block cache, on a scan
//                                    that never hits it: the miss path, vs
//                                    BM_LevelDBSmallCacheGet/scan (P11)
//   BM_LevelDBCairnShapeGet/scan     LevelDB alone holding Cairn's records
//                                    ('d' + key -> kind, version, value):
//                                    what a Cairn miss reads, P11's floor
//   BM_CairnColdGetSecondMiss/scan   the same with cache.admission=
//                                    second_miss: a first miss is not
//                                    cached, so the pass costs no fills
//   BM_CairnGetMiss / BM_LevelDBGetMiss  absent keys between present ones
//   BM_CairnPut / BM_LevelDBPut      random keys, 100-byte values, no sync
//   BM_LevelDBPutOpLogShape          LevelDB writing what a Cairn put writes
//                                    (record + op-log entry, one batch)
//   BM_CairnCacheMemory/{fit,full}   P9 counters (memory_benchmark.h)
//   BM_CairnReattach                 P8, with CAIRN_BENCH_REATTACH=1
//                                    (reattach_benchmark.h)
//   BM_CairnScanResistance/admission:{0,1}/scan:{0,1}  zipfian hot-set
//                                    reads with a concurrent one-pass scan,
//                                    cache.admission always / second_miss
//                                    (admission_benchmark.h)
//
// Gets run on 1 and 2 threads. All times are wall clock (UseRealTime), so
// with 2 threads "time per op" is wall time over the ops of both threads and
// items_per_second is the aggregate throughput. report.py turns the JSON
// output into ratios against each goal. Sizes and paths: bench_config.h.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "admission_benchmark.h"
#include "batch_benchmark.h"
#include "bench_config.h"
#include "cairn/cairn.h"
#include "cairn_store.h"
#include "fixtures.h"
#include "get_benchmark.h"
#include "leveldb/db.h"
#include "leveldb_store.h"
#include "lmdb_store.h"
#include "map_store.h"
#include "memory_benchmark.h"
#include "reattach_benchmark.h"
#include "workload.h"

namespace cairn_bench {
namespace {

// Puts random keys with 100-byte values through `put(store, key, value,
// error)` on Store's put database, then settles its compactions (untimed).
template <typename Store, typename PutFn>
void RunPuts(benchmark::State& state, PutFn put) {
  Fixture<Store>& db = PutDb<Store>();
  if (db.store == nullptr) {
    state.SkipWithError(db.error.c_str());
    return;
  }
  Store& store = *db.store;
  std::string error;
  char key[kKeySize];
  for (auto _ : state) {
    const uint64_t index = db.put_engine();
    FormatKey(index, key);
    if (!put(store, std::string_view(key, kKeySize), Values().Value(index),
             &error)) {
      error = "put: " + error;
      state.SkipWithError(error.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  // Untimed: pay this run's compaction debt before the next benchmark.
  internal::SettleCompactions(store, "after put run");
}

template <typename Store>
void BM_Put(benchmark::State& state) {
  RunPuts<Store>(state, [](Store& store, std::string_view key,
                           std::string_view value, std::string* error) {
    return store.Put(key, value, error);
  });
}

// P3's floor: the LevelDB batch a Cairn put writes (record + op-log entry),
// on the LevelDB put database, keys in their own 'd' space.
void BM_LevelDBPutOpLogShape(benchmark::State& state) {
  uint64_t sequence = 0;
  RunPuts<LevelDbStore>(state, [&](LevelDbStore& store, std::string_view key,
                                   std::string_view value, std::string* error) {
    return store.PutWithOpLogEntry(key, value, ++sequence, error);
  });
}

template <typename Store>
void RegisterPut() {
  const std::string name = std::string("BM_") + Store::kName + "Put";
  benchmark::RegisterBenchmark(name.c_str(), BM_Put<Store>)->UseRealTime();
}

// Each Cairn benchmark is followed by its peers, so drift on a shared
// machine hits them alike (--benchmark_enable_random_interleaving mixes them
// further).
void RegisterAll() {
  constexpr Setup kSmall = Setup::kSmallBlockCache;
  for (Distribution distribution :
       {Distribution::kUniform, Distribution::kZipfian}) {
    RegisterGet<CairnStore>("BM_CairnGet", distribution);
    RegisterGet<LevelDbStore>("BM_LevelDBGet", distribution);
    RegisterGet<LevelDbStore, kSmall>("BM_LevelDBSmallCacheGet", distribution);
    RegisterGet<LmdbStore>("BM_LmdbGet", distribution);
    RegisterGet<MapStore>("BM_MapGet", distribution);
    RegisterBatchGets(distribution);
  }
  RegisterGet<CairnStore, Setup::kColdCache>("BM_CairnColdGet",
                                             Distribution::kScan);
  RegisterGet<CairnStore, Setup::kColdCacheSecondMiss>(
      "BM_CairnColdGetSecondMiss", Distribution::kScan);
  RegisterGet<LevelDbStore, kSmall>("BM_LevelDBSmallCacheGet",
                                    Distribution::kScan);
  RegisterGet<LevelDbStore, Setup::kSmallCacheCairnShape>(
      "BM_LevelDBCairnShapeGet", Distribution::kScan);
  RegisterGet<CairnStore>("BM_CairnGet", Distribution::kMiss);
  RegisterGet<LevelDbStore>("BM_LevelDBGet", Distribution::kMiss);
  RegisterPut<CairnStore>();
  RegisterPut<LevelDbStore>();
  benchmark::RegisterBenchmark("BM_LevelDBPutOpLogShape",
                               BM_LevelDBPutOpLogShape)
      ->UseRealTime();
  RegisterCacheMemory();
  RegisterReattach();
  RegisterScanResistance();
}

void AddContext() {
  const BenchConfig& config = Config();
  const StoreOptions& store = config.store;
  benchmark::AddCustomContext("cairn_bench.keys", std::to_string(config.keys));
  benchmark::AddCustomContext("cairn_bench.dir", config.dir);
  benchmark::AddCustomContext(
      "cairn_bench.store_options",
      "write_buffer_size=" + std::to_string(store.write_buffer_size) +
          " block_cache_mb=" + std::to_string(store.block_cache_mb) +
          " bloom_bits_per_key=" + std::to_string(store.bloom_bits_per_key) +
          " compression=" + (store.snappy ? "snappy" : "none") +
          " verify_checksums=" + (store.verify_checksums ? "true" : "false"));
  benchmark::AddCustomContext("cairn_bench.cairn_cache_mb",
                              std::to_string(store.cairn_cache_mb));
  benchmark::AddCustomContext("cairn_bench.small_block_cache_mb",
                              std::to_string(config.small_block_cache_mb));
  benchmark::AddCustomContext("cairn_bench.cold_cache_mb",
                              std::to_string(config.cold_cache_mb));
  benchmark::AddCustomContext("cairn_bench.sized_cache_mb",
                              std::to_string(config.sized_cache_mb));
  if (config.reattach) {
    benchmark::AddCustomContext(
        "cairn_bench.reattach",
        "cache.capacity_mb=" + std::to_string(config.reattach_mb) +
            " value_size=" + std::to_string(config.reattach_value_size));
  }
  // Whether the cache's shared memory may use huge pages (the selected
  // word of the kernel's setting): with 4 KiB pages a random hit in a large
  // segment also misses the TLB.
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/shmem_enabled");
  std::string line;
  std::getline(thp, line);
  const size_t open = line.find('['), close = line.find(']');
  benchmark::AddCustomContext(
      "cairn_bench.shmem_thp",
      open != std::string::npos && close > open
          ? line.substr(open + 1, close - open - 1)
          : "unknown");
  benchmark::AddCustomContext("lmdb.version",
                              mdb_version(nullptr, nullptr, nullptr));
  benchmark::AddCustomContext("lmdb.options", LmdbStore::Describe());
  benchmark::AddCustomContext("leveldb.version",
                              std::to_string(leveldb::kMajorVersion) + "." +
                                  std::to_string(leveldb::kMinorVersion));
  benchmark::AddCustomContext("cairn.version", cairn_version());
  benchmark::AddCustomContext("cairn.options",
                              CairnStore::DescribeOptions(store));

  cairn_options_t* options = cairn_options_create();
  std::string rejected;
  for (const std::string& error : CairnStore::SetOptions(options, store)) {
    std::fprintf(stderr, "WARNING: Cairn rejected an option: %s\n",
                 error.c_str());
    rejected += rejected.empty() ? error : "; " + error;
  }
  cairn_options_destroy(options);
  benchmark::AddCustomContext("cairn.rejected_options",
                              rejected.empty() ? "none" : rejected);
}

}  // namespace
}  // namespace cairn_bench

int main(int argc, char** argv) {
  using namespace cairn_bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  AddContext();
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  CloseAndDestroyAll();
  RemoveRunDirectory();
  benchmark::Shutdown();
  return 0;
}
