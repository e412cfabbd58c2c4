// latency.h — exact percentiles of a set of latency samples (nanoseconds).
//
// The replication benchmarks keep every sample (at most a few hundred
// thousand per run), so percentiles are read from the sorted samples, not
// from buckets.
#ifndef CAIRN_BENCHMARKS_REPLICATION_LATENCY_H_
#define CAIRN_BENCHMARKS_REPLICATION_LATENCY_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace cairn_repl {

using Clock = std::chrono::steady_clock;

inline uint64_t NanosBetween(Clock::time_point from, Clock::time_point to) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count());
}

inline double SecondsBetween(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0;
  double p99_us = 0;
  double max_us = 0;
  double mean_us = 0;
};

// Sorts *ns in place. Nearest-rank percentiles; zeros for no samples.
inline LatencySummary Summarize(std::vector<uint64_t>* ns) {
  LatencySummary s;
  if (ns->empty()) return s;
  std::sort(ns->begin(), ns->end());
  const auto at = [&](double p) {
    const size_t rank =
        static_cast<size_t>(p * static_cast<double>(ns->size()));
    return static_cast<double>((*ns)[std::min(rank, ns->size() - 1)]) / 1e3;
  };
  double sum = 0;
  for (uint64_t v : *ns) sum += static_cast<double>(v);
  s.count = ns->size();
  s.p50_us = at(0.50);
  s.p99_us = at(0.99);
  s.max_us = static_cast<double>(ns->back()) / 1e3;
  s.mean_us = sum / static_cast<double>(ns->size()) / 1e3;
  return s;
}

}  // namespace cairn_repl

#endif  // CAIRN_BENCHMARKS_REPLICATION_LATENCY_H_
