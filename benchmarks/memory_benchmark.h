// memory_benchmark.h — P9: what Cairn's cache costs in memory over the
// key+value bytes it holds (BENCHMARKS.md: ≤ 25% for 100-byte values).
//
//   BM_CairnCacheMemory/fit   the get data set: every record cached, the
//                             cache (CAIRN_BENCH_CACHE_MB) sized to hold them
//   BM_CairnCacheMemory/full  the cold data set: a cache holding ~10% of
//                             the records, full, evicting
//
// Each reads the "cairn.cache" property once and reports counters:
//   overhead       used_bytes / (items × (16 + 100)) − 1: the segment's
//                  metadata (header, hash index sized for the capacity,
//                  page table) plus the bytes carved from data pages
//   item_overhead  live_bytes / (items × 116) − 1: the items alone
//   items, used_bytes, live_bytes, capacity_bytes
// The time is that of the property call and means nothing.
#ifndef CAIRN_BENCHMARKS_MEMORY_BENCHMARK_H_
#define CAIRN_BENCHMARKS_MEMORY_BENCHMARK_H_

namespace cairn_bench {

void RegisterCacheMemory();

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_MEMORY_BENCHMARK_H_
