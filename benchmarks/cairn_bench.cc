// cairn_bench — Cairn through its C ABI against raw LevelDB with the same
// options, side by side in one run (BENCHMARKS.md: P1, P2, P3, P11).
//
//   BM_CairnPut / BM_LevelDBPut           random 16-byte keys, 100-byte
//                                         values, no sync
//   BM_CairnGet/{uniform,zipf}            gets over the loaded data set
//   BM_LevelDBGet/{uniform,zipf}          (zipfian theta 0.99, scrambled)
//   BM_CairnGetMiss / BM_LevelDBGetMiss   keys between the present ones
//
// Gets run on 1 and 2 threads. All times are wall clock (UseRealTime), so
// with 2 threads "time per op" is wall time over the ops of both threads and
// items_per_second is the aggregate throughput. report.py turns the JSON
// output into the Cairn/LevelDB ratios. Sizes and paths: bench_config.h.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "bench_config.h"
#include "cairn/cairn.h"
#include "cairn_store.h"
#include "fixtures.h"
#include "leveldb/db.h"
#include "leveldb_store.h"
#include "workload.h"

namespace cairn_bench {
namespace {

const ZipfianGenerator& Zipf() {
  static const ZipfianGenerator zipf(Config().keys, 0.99);
  return zipf;
}

// One stream per (distribution, thread index), shared by both stores so
// they replay the same keys.
const IndexStream& StreamFor(Distribution distribution, int thread_index) {
  static std::mutex mutex;
  static std::map<std::pair<Distribution, int>, std::unique_ptr<IndexStream>>
      streams;
  std::lock_guard<std::mutex> lock(mutex);
  auto& stream = streams[{distribution, thread_index}];
  if (stream == nullptr) {
    stream = std::make_unique<IndexStream>(distribution, Config().keys, &Zipf(),
                                           thread_index);
  }
  return *stream;
}

template <typename Store>
void BM_Get(benchmark::State& state, Distribution distribution) {
  Fixture<Store>& data_set = DataSet<Store>();
  if (data_set.store == nullptr) {
    state.SkipWithError(data_set.error.c_str());
    return;
  }
  Store& store = *data_set.store;
  const IndexStream& stream = StreamFor(distribution, state.thread_index());
  const GetResult expected = distribution == Distribution::kMiss
                                 ? GetResult::kNotFound
                                 : GetResult::kFound;
  std::string scratch;
  std::string error;
  char key[kKeySize];
  size_t wrong_size = 0;
  size_t position = 0;
  for (auto _ : state) {
    FormatKey(stream[position++], key);
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
  if (wrong_size != 0)
    state.SkipWithError("a get returned a wrong-sized value");
  state.SetItemsProcessed(state.iterations());
}

template <typename Store>
void BM_Put(benchmark::State& state) {
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
    if (!store.Put(std::string_view(key, kKeySize), Values().Value(index),
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
void RegisterGet(Distribution distribution) {
  const std::string prefix = std::string("BM_") + Store::kName;
  const std::string name =
      distribution == Distribution::kMiss
          ? prefix + "GetMiss"
          : prefix + "Get/" + DistributionName(distribution);
  benchmark::RegisterBenchmark(name.c_str(), BM_Get<Store>, distribution)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
}

template <typename Store>
void RegisterPut() {
  const std::string name = std::string("BM_") + Store::kName + "Put";
  benchmark::RegisterBenchmark(name.c_str(), BM_Put<Store>)->UseRealTime();
}

// Each Cairn benchmark is followed by its LevelDB twin, so drift on a shared
// machine hits both alike (--benchmark_enable_random_interleaving mixes
// them further).
void RegisterAll() {
  for (Distribution distribution :
       {Distribution::kUniform, Distribution::kZipfian, Distribution::kMiss}) {
    RegisterGet<CairnStore>(distribution);
    RegisterGet<LevelDbStore>(distribution);
  }
  RegisterPut<CairnStore>();
  RegisterPut<LevelDbStore>();
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
          " compression=" + (store.snappy ? "snappy" : "none"));
  benchmark::AddCustomContext("cairn_bench.cairn_cache_mb",
                              std::to_string(store.cairn_cache_mb));
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
