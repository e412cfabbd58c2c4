#include "batch_benchmark.h"

#include <benchmark/benchmark.h>

#include "cairn_store.h"
#include "fixtures.h"
#include "get_benchmark.h"

namespace cairn_bench {
namespace {

void BM_CairnCopyGet(benchmark::State& state, Distribution distribution) {
  Fixture<CairnStore>& data_set = DataSet<CairnStore>();
  if (data_set.store == nullptr) {
    state.SkipWithError(data_set.error.c_str());
    return;
  }
  CairnStore& store = *data_set.store;
  StreamCursor cursor(StreamFor(distribution, state.thread_index()), nullptr);
  std::string error;
  char key[kKeySize];
  size_t wrong_size = 0;
  for (auto _ : state) {
    FormatKey(cursor.Next(), key);
    const GetResult result = store.GetCopy(
        std::string_view(key, kKeySize),
        [&](std::string_view value) {
          benchmark::DoNotOptimize(value.front());
          wrong_size += value.size() != kValueSize;
        },
        &error);
    if (result != GetResult::kFound) {
      state.SkipWithError(("cairn_get: " + error).c_str());
      break;
    }
  }
  if (wrong_size != 0) state.SkipWithError("a get returned a wrong size");
  state.SetItemsProcessed(state.iterations());
}

void BM_CairnMultiGet(benchmark::State& state, Distribution distribution) {
  Fixture<CairnStore>& data_set = DataSet<CairnStore>();
  if (data_set.store == nullptr) {
    state.SkipWithError(data_set.error.c_str());
    return;
  }
  CairnStore& store = *data_set.store;
  StreamCursor cursor(StreamFor(distribution, state.thread_index()), nullptr);
  std::string error;
  constexpr size_t kStride = 128;
  char keys[kMultiGetBatch][kKeySize];
  const char* key_ptrs[kMultiGetBatch];
  size_t key_sizes[kMultiGetBatch];
  static thread_local char values[kMultiGetBatch * kStride];
  for (int i = 0; i < kMultiGetBatch; ++i) {
    key_ptrs[i] = keys[i];
    key_sizes[i] = kKeySize;
  }
  for (auto _ : state) {
    for (int i = 0; i < kMultiGetBatch; ++i) FormatKey(cursor.Next(), keys[i]);
    const int found = store.MultiGet(kMultiGetBatch, key_ptrs, key_sizes,
                                     values, kStride, &error);
    benchmark::DoNotOptimize(values[0]);
    if (found != kMultiGetBatch) {
      state.SkipWithError(found < 0 ? ("cairn_multi_get: " + error).c_str()
                                    : "a loaded key is missing");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kMultiGetBatch);
}

}  // namespace

void RegisterBatchGets(Distribution distribution) {
  const std::string suffix = std::string("/") + DistributionName(distribution);
  benchmark::RegisterBenchmark(("BM_CairnCopyGet" + suffix).c_str(),
                               BM_CairnCopyGet, distribution)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
  benchmark::RegisterBenchmark(
      ("BM_CairnMultiGet" + std::to_string(kMultiGetBatch) + suffix).c_str(),
      BM_CairnMultiGet, distribution)
      ->UseRealTime()
      ->Threads(1)
      ->Threads(2);
}

}  // namespace cairn_bench
