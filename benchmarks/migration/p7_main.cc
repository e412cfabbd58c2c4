// cairn_p7 — P7 (BENCHMARKS.md): add a cache instance under a zipfian read
// load, and record hit ratio and throughput every interval, for three
// strategies in the same run:
//
//   cairn       THE PRODUCT, through the C ABI (p7_cairn_strategy.h)
//   consistent  SIMULATION: ring::Ring without migration (p7_sim_strategy.h)
//   modulo      SIMULATION: hash % N rehashing (p7_sim_strategy.h)
//
// The parts:
//   p7_config.h          options (flags and CAIRN_P7_* environment)
//   p7_strategy.h        the interface the three strategies implement
//   p7_cairn_strategy.h  the product through the C ABI, and the database
//                        every strategy reads through (cairn_store.h)
//   p7_sim_strategy.h    the two simulations over the engine's own
//                        ShmInstance and ring::Ring code
//   p7_sampler.h         the data set, the reader threads, the time series
//                        and its summary
//   p7_output.h          p7_timeseries.csv, p7.json and the summary table
//   p7_watchdog.h        the worker process, signals and cleanup
//
// This file loads the database once, runs each strategy in turn over it,
// and writes the results. run_p7.sh builds and runs it; plot_p7.py plots.
#include <stdlib.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cairn_store.h"
#include "p7_cairn_strategy.h"
#include "p7_config.h"
#include "p7_output.h"
#include "p7_sampler.h"
#include "p7_sim_strategy.h"
#include "p7_watchdog.h"
#include "workload.h"

namespace p7 {
namespace {

int Run(const Config& cfg, const std::string& run_dir) {
  const Clock::time_point t0 = Clock::now();
  std::printf("cairn_p7: %" PRIu64
              " keys x %zu B, zipfian 0.99, %d reader thread(s); "
              "%u instances of %" PRIu64
              " MiB, +1 after %.1f s; %.1f s after; "
              "sampled every %u ms; dir %s\n",
              cfg.keys, cairn_bench::kValueSize, cfg.threads, cfg.instances,
              cfg.instance_mb, cfg.warmup_s + cfg.before_s, cfg.after_s,
              cfg.interval_ms, run_dir.c_str());
  std::fflush(stdout);
  const cairn_bench::ValuePool pool;
  const cairn_bench::ZipfianGenerator zipf(cfg.keys, 0.99);
  const std::string db_path = run_dir + "/db";
  const Clock::time_point l0 = Clock::now();
  LoadDatabase(cfg, db_path, pool);
  std::printf("loaded %" PRIu64 " records in %.1f s\n", cfg.keys,
              Seconds(Clock::now() - l0));

  std::vector<Result> results;
  for (const std::string& name : cfg.strategies) {
    if (StopRequested()) break;
    if (name == "cairn") {
      {
        CairnStrategy st(cfg, db_path, pool);
        results.push_back(RunStrategy(cfg, st, zipf, pool));
      }
      DropCache(db_path);
    } else {
      SimStrategy st(cfg,
                     name == "consistent" ? SimStrategy::Routing::kRing
                                          : SimStrategy::Routing::kModulo,
                     db_path, pool);
      results.push_back(RunStrategy(cfg, st, zipf, pool));
    }
  }
  std::string error;
  if (!cairn_bench::CairnStore::Destroy(db_path, &error)) {
    std::fprintf(stderr, "cairn_destroy(%s): %s\n", db_path.c_str(),
                 error.c_str());
  }
  if (StopRequested()) {
    std::fprintf(stderr, "cairn_p7: interrupted\n");
    return 130;
  }
  WriteOutputs(cfg, results, Seconds(Clock::now() - t0));
  PrintSummary(results);
  for (const Result& r : results) {
    if (r.errors != 0 || !r.add_error.empty()) return 1;
  }
  return 0;
}

int Main(int argc, char** argv) {
  Config cfg;
  try {
    cfg = ParseConfig(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cairn_p7: %s\n", e.what());
    return 2;
  }
  std::string tmpl = cfg.dir + "/cairn_p7.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "cairn_p7: mkdtemp(%s): %s\n", tmpl.c_str(),
                 std::strerror(errno));
    return 2;
  }
  const std::string run_dir = tmpl;
  return RunWatched(run_dir, [&]() -> int {
    try {
      return Run(cfg, run_dir);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cairn_p7: %s\n", e.what());
      return 1;
    }
  });
}

}  // namespace
}  // namespace p7

int main(int argc, char** argv) { return p7::Main(argc, argv); }
