// batch_benchmark.h — the read calls of C ABI 1.2 against cairn_get, over
// the same cached data set and key streams as BM_CairnGet (get_benchmark.h):
//
//   BM_CairnCopyGet/{uniform,zipf}     cairn_get: a malloc'd copy per get,
//                                      freed with cairn_free (ABI 1.0)
//   BM_CairnMultiGet32/{uniform,zipf}  cairn_multi_get of 32 keys a call;
//                                      items are keys, so items_per_second
//                                      gives the per-key time (P13)
//
// BM_CairnGet itself reads with cairn_get_into (cairn_store.h).
#ifndef CAIRN_BENCHMARKS_BATCH_BENCHMARK_H_
#define CAIRN_BENCHMARKS_BATCH_BENCHMARK_H_

#include <string>

#include "workload.h"

namespace cairn_bench {

inline constexpr int kMultiGetBatch = 32;

// Registers the benchmarks above for `distribution` on 1 and 2 threads.
void RegisterBatchGets(Distribution distribution);

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_BATCH_BENCHMARK_H_
