// p7_sampler.h — runs one strategy of cairn_p7 and records its time series.
//
// Data set: N records (default 1M) with 16-byte keys and 100-byte values
// (workload.h). Each strategy starts from an empty cache of `instances`
// instances (default 4) of `instance_mb` MiB each (default: 256 bytes per
// record over the 4, so the data set fits at about half full, and still
// fits in 5), loads it with one sequential read of every key, runs the
// zipfian (theta 0.99) reader threads for a warm-up and a "before" window,
// adds one instance of the same size, and keeps reading for the "after"
// window. Every reader checks every value it gets. Hit ratio and
// throughput are sampled every interval; t = 0 is when the add call starts.
//
// Summary, per strategy (Result::summary):
//   steady_hit_ratio   hits / (hits + misses) over the "before" window
//   min_after          lowest interval hit ratio after the add, also as a
//                      fraction of steady
//   recovery_s         end of the last interval after the add whose hit
//                      ratio is below 99% of steady (0: never below; null:
//                      still below at the end of the window)
//   cairn only: migration duration (finished_ms - started_ms of
//               "cairn.migration"), whether it finished on its own within
//               the window (else it is polled, without load, for up to
//               --migration-wait-s), and the items moved lazily / by the
//               mover.
#ifndef CAIRN_BENCHMARKS_MIGRATION_P7_SAMPLER_H_
#define CAIRN_BENCHMARKS_MIGRATION_P7_SAMPLER_H_

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "p7_config.h"
#include "p7_strategy.h"
#include "workload.h"

namespace p7 {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d);

// One sampling interval.
struct Sample {
  std::string phase;              // "warmup", "before" or "after"
  double t_start = 0, t_end = 0;  // seconds relative to the add
  uint64_t ops = 0, hits = 0, misses = 0;
  uint32_t instances = 0;
  MigrationInfo migration;
  double hit_ratio() const {
    return hits + misses == 0 ? NAN
                              : static_cast<double>(hits) / (hits + misses);
  }
  double ops_per_sec() const { return ops / (t_end - t_start); }
};

struct Result {
  std::string name, description;
  bool simulated = false;
  uint32_t instances_before = 0, instances_after = 0;
  uint64_t items_after_load = 0;
  double load_s = 0, add_call_ms = 0;
  double ring_moved_share = NAN;
  std::vector<Sample> series;
  uint64_t errors = 0;
  // Cairn only.
  std::string add_error;
  MigrationInfo migration_end;
  bool migration_finished = false, migration_finished_in_window = false;
  double migration_end_t = NAN;  // seconds after the add
  nlohmann::ordered_json summary;
};

// Loads the cache, runs cfg.threads zipfian readers through the warm-up,
// "before" and "after" windows with the add in between, and summarizes.
// Ends early (with what it has) once the watchdog asks the worker to stop.
Result RunStrategy(const Config& cfg, Strategy& st,
                   const cairn_bench::ZipfianGenerator& zipf,
                   const cairn_bench::ValuePool& pool);

}  // namespace p7

#endif  // CAIRN_BENCHMARKS_MIGRATION_P7_SAMPLER_H_
