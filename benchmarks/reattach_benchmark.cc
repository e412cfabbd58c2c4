#include "reattach_benchmark.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench_config.h"
#include "cairn_store.h"
#include "fixtures.h"
#include "store.h"
#include "workload.h"

namespace cairn_bench {
namespace {

constexpr uint64_t kBatch = 1000;
constexpr uint64_t kSampleGets = 100000;
constexpr uint64_t kFirstGets = 1000;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct Counts {
  uint64_t hits = 0;
  uint64_t misses = 0;
};

bool ReadCounts(CairnStore& store, Counts* counts, CacheSnapshot* snapshot,
                std::string* error) {
  if (!store.CacheStats(snapshot, error)) return false;
  counts->hits = snapshot->total.hits;
  counts->misses = snapshot->total.misses;
  return true;
}

double HitRatio(const Counts& from, const Counts& to) {
  const uint64_t hits = to.hits - from.hits;
  const uint64_t lookups = hits + (to.misses - from.misses);
  return lookups == 0
             ? 0.0
             : static_cast<double>(hits) / static_cast<double>(lookups);
}

// Loads keys [0, records) with values of values.value_size() bytes.
bool Fill(CairnStore& store, uint64_t records, const ValuePool& values,
          std::string* error) {
  std::vector<Record> batch;
  batch.reserve(kBatch);
  for (uint64_t start = 0; start < records; start += kBatch) {
    batch.clear();
    for (uint64_t i = start; i < records && i < start + kBatch; ++i) {
      Record& record = batch.emplace_back();
      FormatKey(i, record.key);
      record.value = values.Value(i);
    }
    if (!store.PutBatch(batch, error)) return false;
  }
  return true;
}

// Gets sample[begin, end); each must be found with the right size.
bool GetSample(CairnStore& store, const std::vector<uint64_t>& sample,
               size_t begin, size_t end, size_t value_size,
               std::string* error) {
  std::string scratch;
  char key[kKeySize];
  for (size_t i = begin; i < end; ++i) {
    FormatKey(sample[i], key);
    bool right_size = false;
    const GetResult result = store.Get(
        std::string_view(key, kKeySize), &scratch,
        [&](std::string_view value) {
          right_size = value.size() == value_size;
        },
        error);
    if (result != GetResult::kFound || !right_size) {
      if (result != GetResult::kError) {
        *error = "get " + std::string(key, kKeySize) + ": " +
                 (result == GetResult::kNotFound ? "not found" : "wrong size");
      }
      return false;
    }
  }
  return true;
}

void BM_CairnReattach(benchmark::State& state) {
  const BenchConfig& config = Config();
  StoreOptions options = config.store;
  options.cairn_cache_mb = config.reattach_mb;
  const size_t value_size = config.reattach_value_size;
  // Slightly more than the cache holds once item headers and its index are
  // counted, so it ends full.
  const uint64_t records = (static_cast<uint64_t>(config.reattach_mb) << 20) /
                           (kKeySize + value_size);

  static Fixture<CairnStore> fixture;  // Destroyed at teardown at the latest.
  if (!internal::OpenFresh(fixture, "Cairn_reattach", options)) {
    state.SkipWithError(fixture.error.c_str());
    return;
  }
  std::string error;
  const ValuePool values(1 << 20, 301, value_size);
  auto start = Clock::now();
  if (!Fill(*fixture.store, records, values, &error)) {
    error = "fill: " + error;
    state.SkipWithError(error.c_str());
    return;
  }
  const double fill_s = Seconds(Clock::now() - start);
  internal::SettleCompactions(*fixture.store, "after the reattach fill");

  std::vector<uint64_t> sample(std::min(kSampleGets, records));
  std::mt19937_64 engine(8);
  std::uniform_int_distribution<uint64_t> uniform(0, records - 1);
  for (uint64_t& index : sample) index = uniform(engine);

  // The sample's first pass caches the keys the fill evicted; the second
  // is the "before" that the reopened cache is compared with.
  Counts before_from, before_to, after_from, after_to;
  CacheSnapshot snapshot;
  if (!GetSample(*fixture.store, sample, 0, sample.size(), value_size,
                 &error) ||
      !ReadCounts(*fixture.store, &before_from, &snapshot, &error) ||
      !GetSample(*fixture.store, sample, 0, sample.size(), value_size,
                 &error) ||
      !ReadCounts(*fixture.store, &before_to, &snapshot, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }
  const CacheInstanceStats full = snapshot.total;

  start = Clock::now();
  fixture.store.reset();  // cairn_close: marks the segments clean
  const double close_s = Seconds(Clock::now() - start);

  double open_s = 0;
  double first_gets_s = 0;
  CacheSnapshot reopened;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    fixture.store = CairnStore::Open(fixture.path, options, &error);
    const auto t1 = Clock::now();
    if (fixture.store == nullptr ||
        !ReadCounts(*fixture.store, &after_from, &reopened, &error)) {
      error = "reopen: " + error;
      state.SkipWithError(error.c_str());
      return;
    }
    const size_t first = std::min<size_t>(kFirstGets, sample.size());
    const auto t2 = Clock::now();
    if (!GetSample(*fixture.store, sample, 0, first, value_size, &error)) {
      state.SkipWithError(error.c_str());
      return;
    }
    const auto t3 = Clock::now();
    open_s = Seconds(t1 - t0);
    first_gets_s = Seconds(t3 - t2);
    state.SetIterationTime(open_s + first_gets_s);
  }
  if (!GetSample(*fixture.store, sample,
                 std::min<size_t>(kFirstGets, sample.size()), sample.size(),
                 value_size, &error) ||
      !ReadCounts(*fixture.store, &after_to, &snapshot, &error)) {
    state.SkipWithError(error.c_str());
    return;
  }

  int warm = 0;
  for (const CacheInstanceStats& instance : reopened.instances) {
    warm += instance.open == "warm";
  }
  const double hit_before = HitRatio(before_from, before_to);
  const double hit_after = HitRatio(after_from, after_to);
  state.counters["reattach_s"] = open_s + first_gets_s;
  state.counters["open_s"] = open_s;
  state.counters["first_gets_s"] = first_gets_s;
  state.counters["close_s"] = close_s;
  state.counters["fill_s"] = fill_s;
  state.counters["hit_ratio_before"] = hit_before;
  state.counters["hit_ratio_after"] = hit_after;
  state.counters["warm_ratio"] = hit_before > 0 ? hit_after / hit_before : 0;
  state.counters["warm_instances"] = warm;
  state.counters["instances"] = static_cast<double>(reopened.instances.size());
  state.counters["used_bytes"] = static_cast<double>(full.used_bytes);
  state.counters["capacity_bytes"] = static_cast<double>(full.capacity_bytes);
  state.counters["items"] = static_cast<double>(full.items);
  state.counters["records"] = static_cast<double>(records);
  std::fprintf(stderr,
               "reattach: %llu records of %zu B filled in %.1f s; cache %llu "
               "items, %llu of %llu bytes used; close %.3f s, open %.3f s, "
               "first %llu gets %.4f s; hit ratio %.3f before, %.3f after; "
               "%d of %zu instances warm\n",
               static_cast<unsigned long long>(records), value_size, fill_s,
               static_cast<unsigned long long>(full.items),
               static_cast<unsigned long long>(full.used_bytes),
               static_cast<unsigned long long>(full.capacity_bytes), close_s,
               open_s, static_cast<unsigned long long>(kFirstGets),
               first_gets_s, hit_before, hit_after, warm,
               reopened.instances.size());

  // Give /dev/shm and the disk back now rather than at exit.
  fixture.store.reset();
  if (!CairnStore::Destroy(fixture.path, &error)) {
    std::fprintf(stderr, "destroying %s: %s\n", fixture.path.c_str(),
                 error.c_str());
  }
}

}  // namespace

void RegisterReattach() {
  if (!Config().reattach) return;
  benchmark::RegisterBenchmark("BM_CairnReattach", BM_CairnReattach)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond)
      ->Iterations(1)
      ->Repetitions(1);
}

}  // namespace cairn_bench
