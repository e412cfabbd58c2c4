// admission_benchmark.h — scan resistance (issue 14, item 5): a zipfian
// reader over a hot set while another thread scans cold keys once, with the
// cache sized to ~10% of the data (CAIRN_BENCH_COLD_CACHE_MB), under
// cache.admission `always` and `second_miss`.
//
// BM_CairnScanResistance/admission:<0 always|1 second_miss>/scan:<0|1>:
// one data set per policy of Config().keys records (cache.write_policy
// "invalidate", so the load leaves the cache empty); the hot set is the
// first 5% of the keys, read zipfian (theta 0.99) by the timed thread; with
// scan:1 a second thread reads the other 95% once each, in order, for as
// long as the timed loop runs (it continues where the previous run
// stopped). Before timing, the reader makes one warm-up pass of hot-set
// gets with the scan already running. Counters:
//   zipf_hit_ratio   the reader's cache hits / its gets (the scanner's keys
//                    are read once, so every scanner get misses; the
//                    reader's hits are then all the cache's hits)
//   scan_gets_per_s  the scanner's rate
//   admitted, refused  admission counters over the run (cairn.cache)
// items_per_second is the reader's throughput.
#ifndef CAIRN_BENCHMARKS_ADMISSION_BENCHMARK_H_
#define CAIRN_BENCHMARKS_ADMISSION_BENCHMARK_H_

namespace cairn_bench {

void RegisterScanResistance();

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_ADMISSION_BENCHMARK_H_
