#include "admission_benchmark.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_config.h"
#include "cairn_store.h"
#include "fixtures.h"
#include "nlohmann/json.hpp"
#include "store.h"
#include "workload.h"

namespace cairn_bench {
namespace {

constexpr const char* kPolicies[] = {"always", "second_miss"};

struct AdmissionDataSet {
  std::once_flag once;
  std::string path;
  std::unique_ptr<CairnStore> store;
  std::string error;
  uint64_t hot = 0;   // keys [0, hot) are the hot set
  uint64_t keys = 0;  // keys [hot, keys) are scanned
  std::atomic<uint64_t> scan_next{0};
};

bool LoadDataSet(AdmissionDataSet& d, const char* policy) {
  d.keys = std::max<uint64_t>(Config().keys, 40);
  d.hot = d.keys / 20;
  d.path = DbPath(std::string("admission_") + policy);
  CairnStore::Destroy(d.path, &d.error);
  d.error.clear();
  AtTeardown([&d] {
    d.store.reset();
    std::string error;
    (void)CairnStore::Destroy(d.path, &error);
  });
  d.store = CairnStore::OpenWithOptions(
      d.path,
      {{"create_if_missing", "true"},
       {"cache.capacity_mb", std::to_string(Config().cold_cache_mb)},
       {"cache.write_policy", "invalidate"},
       {"cache.admission", policy}},
      &d.error);
  if (d.store == nullptr) return false;
  std::vector<Record> batch;
  for (uint64_t start = 0; start < d.keys; start += 1000) {
    batch.clear();
    for (uint64_t i = start; i < d.keys && i < start + 1000; ++i) {
      Record& r = batch.emplace_back();
      FormatKey(i, r.key);
      r.value = Values().Value(i);
    }
    if (!d.store->PutBatch(batch, &d.error)) return false;
  }
  return true;
}

AdmissionDataSet& DataSetFor(int policy) {
  static AdmissionDataSet sets[2];
  AdmissionDataSet& d = sets[policy];
  std::call_once(d.once, [&] {
    if (!LoadDataSet(d, kPolicies[policy])) d.store.reset();
  });
  return d;
}

bool Counters(CairnStore& store, uint64_t* hits, uint64_t* admitted,
              uint64_t* refused) {
  std::string json;
  if (!store.Property("cairn.cache", &json)) return false;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded()) return false;
  *hits = j["total"]["hits"].get<uint64_t>();
  *admitted = j["admission"]["admitted"].get<uint64_t>();
  *refused = j["admission"]["refused"].get<uint64_t>();
  return true;
}

bool GetKey(CairnStore& store, uint64_t index, std::string* scratch,
            std::string* error) {
  char key[kKeySize];
  FormatKey(index, key);
  return store.Get(
             std::string_view(key, kKeySize), scratch,
             [](std::string_view value) {
               benchmark::DoNotOptimize(value.front());
             },
             error) == GetResult::kFound;
}

void BM_CairnScanResistance(benchmark::State& state) {
  AdmissionDataSet& d = DataSetFor(static_cast<int>(state.range(0)));
  const bool scan = state.range(1) != 0;
  if (d.store == nullptr) {
    state.SkipWithError(d.error.c_str());
    return;
  }
  CairnStore& store = *d.store;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> scan_gets{0};
  std::string scan_error;
  std::thread scanner;
  if (scan) {
    scanner = std::thread([&] {
      std::string scratch;
      const uint64_t cold = d.keys - d.hot;
      while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t i = d.scan_next.fetch_add(1) % cold;
        if (!GetKey(store, d.hot + i, &scratch, &scan_error)) {
          if (scan_error.empty()) scan_error = "a scanned key is missing";
          return;
        }
        scan_gets.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  const ZipfianGenerator zipf(d.hot, 0.99);
  std::mt19937_64 engine(42);
  std::string scratch;
  std::string error;
  for (uint64_t i = 0; i < d.hot * 2; ++i) {  // warm-up, scan running
    (void)GetKey(store, zipf.Next(engine), &scratch, &error);
  }
  uint64_t hits0 = 0, admitted0 = 0, refused0 = 0;
  const bool have = Counters(store, &hits0, &admitted0, &refused0);
  const uint64_t scan0 = scan_gets.load();
  const auto start = std::chrono::steady_clock::now();
  uint64_t gets = 0;
  for (auto _ : state) {
    if (!GetKey(store, zipf.Next(engine), &scratch, &error)) {
      state.SkipWithError(error.empty() ? "a hot key is missing"
                                        : error.c_str());
      break;
    }
    ++gets;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const uint64_t scanned = scan_gets.load() - scan0;
  uint64_t hits1 = 0, admitted1 = 0, refused1 = 0;
  const bool have_end = Counters(store, &hits1, &admitted1, &refused1);
  stop = true;
  if (scanner.joinable()) scanner.join();
  if (!scan_error.empty()) state.SkipWithError(scan_error.c_str());
  if (have && have_end && gets > 0) {
    state.counters["zipf_hit_ratio"] = std::min(
        1.0, static_cast<double>(hits1 - hits0) / static_cast<double>(gets));
    state.counters["admitted"] = static_cast<double>(admitted1 - admitted0);
    state.counters["refused"] = static_cast<double>(refused1 - refused0);
  }
  state.counters["scan_gets_per_s"] =
      seconds > 0 ? static_cast<double>(scanned) / seconds : 0;
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void RegisterScanResistance() {
  benchmark::RegisterBenchmark("BM_CairnScanResistance", BM_CairnScanResistance)
      ->ArgNames({"admission", "scan"})
      ->ArgsProduct({{0, 1}, {0, 1}})
      ->UseRealTime();
}

}  // namespace cairn_bench
