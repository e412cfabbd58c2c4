// reattach_benchmark.h — P8: a clean close and reopen of a full cache of
// CAIRN_BENCH_REATTACH_MB (default 1 GiB), opt in with CAIRN_BENCH_REATTACH=1
// (it needs that much free in /dev/shm and fills it through ~1 GB of puts).
//
// BM_CairnReattach, once: untimed, load records of CAIRN_BENCH_REATTACH_VALUE
// bytes until they exceed the cache (cache.write_policy "update" caches each
// put), wait for compactions, read a sample of keys twice (the second pass
// gives the hit ratio before), close cleanly. Timed: cairn_open, then the first
// kFirstGets gets of the same sample. Reported (manual time = the reattach
// time):
//   reattach_s         open + first gets, the P8 figure (≤ 1 s)
//   open_s, first_gets_s, close_s
//   hit_ratio_before, hit_ratio_after  over the sample, before the close and
//                      right after the reopen; warm_ratio = after / before
//                      (P8: ≥ 0.95)
//   warm_instances / instances: instances that reattached ("warm") rather
//                      than being rebuilt
//   used_bytes, items, records
#ifndef CAIRN_BENCHMARKS_REATTACH_BENCHMARK_H_
#define CAIRN_BENCHMARKS_REATTACH_BENCHMARK_H_

namespace cairn_bench {

// Registers BM_CairnReattach when CAIRN_BENCH_REATTACH=1.
void RegisterReattach();

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_REATTACH_BENCHMARK_H_
