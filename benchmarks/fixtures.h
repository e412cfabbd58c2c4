// fixtures.h — the databases the benchmarks run against, one set per store
// type (and Setup, bench_config.h), created on first use and shared by every
// benchmark of the process:
//
//  - the get data sets: N records (even key indices), loaded in key order in
//    batches of 1000, then closed and reopened (the memtable goes to a
//    table), left until no compaction is due, and read once in full so
//    caches start warm. All stores go through exactly these steps (a store
//    without persistence skips the reopen, one without LevelDB the wait). The C
//    ABI has no compaction call, so instead of loading in random order and
//    compacting, we load in order: LevelDB then writes non-overlapping tables
//    that it moves down without merging, which is the shape of a compacted
//    tree, and does not depend on how background compactions happened to
//    interleave with the load (after a random-order load, two stores with
//    identical settings can end up with differently shaped trees).
//  - the put database: empty at first, grown by the put benchmarks.
//
// Thread safety: DataSet<Store>() and PutDb<Store>() may be called from the
// threads of a multi-threaded benchmark at once; the first caller loads.
// CloseAndDestroyAll() runs once, after the benchmarks.
#ifndef CAIRN_BENCHMARKS_FIXTURES_H_
#define CAIRN_BENCHMARKS_FIXTURES_H_

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "bench_config.h"
#include "compaction_wait.h"
#include "store.h"
#include "workload.h"

namespace cairn_bench {

template <typename Store>
struct Fixture {
  std::once_flag once;
  std::string path;
  std::unique_ptr<Store> store;
  std::string error;  // Set when setting up failed; store is then null.
  std::mt19937_64 put_engine{20240601};  // Put keys; same seed for each store.
};

const ValuePool& Values();

// Registers a cleanup to run from CloseAndDestroyAll().
void AtTeardown(std::function<void()> cleanup);
void CloseAndDestroyAll();

namespace internal {

// Directory-name part of a setup ("bc256", "bc8", "cold_bc8", "cold2nd_bc8",
// "shape_bc8", "sized_bc256").
inline std::string SetupName(Setup setup) {
  std::string name = setup == Setup::kColdCache              ? "cold_"
                     : setup == Setup::kColdCacheSecondMiss ? "cold2nd_"
                     : setup == Setup::kSmallCacheCairnShape ? "shape_"
                     : setup == Setup::kSizedCache          ? "sized_"
                                                            : "";
  return name += SetupLabel(setup);
}

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

template <typename Store>
void RegisterCleanup(Fixture<Store>& fixture) {
  AtTeardown([&fixture] {
    std::string stats;
    if (fixture.store != nullptr &&
        fixture.store->Property("cairn.stats", &stats)) {
      std::fprintf(stderr, "%s: cairn.stats %s\n", fixture.path.c_str(),
                   stats.c_str());
    }
    fixture.store.reset();
    std::string error;
    if (!Store::Destroy(fixture.path, &error)) {
      std::fprintf(stderr, "destroying %s: %s\n", fixture.path.c_str(),
                   error.c_str());
    }
  });
}

template <typename Store>
bool OpenFresh(Fixture<Store>& fixture, const std::string& name,
               const StoreOptions& options) {
  fixture.path = DbPath(name);
  Store::Destroy(fixture.path, &fixture.error);  // A stale run's leftovers.
  fixture.error.clear();
  RegisterCleanup(fixture);
  fixture.store = Store::Open(fixture.path, options, &fixture.error);
  if (fixture.store == nullptr) {
    fixture.error = std::string("open ") + fixture.path + ": " + fixture.error;
    return false;
  }
  return true;
}

template <typename Store>
bool Load(Fixture<Store>& fixture, uint64_t n) {
  constexpr uint64_t kBatch = 1000;
  std::vector<Record> batch;
  batch.reserve(kBatch);
  for (uint64_t start = 0; start < n; start += kBatch) {
    batch.clear();
    for (uint64_t i = start; i < n && i < start + kBatch; ++i) {
      Record& record = batch.emplace_back();
      FormatKey(PresentIndex(i), record.key);
      record.value = Values().Value(PresentIndex(i));
    }
    if (!fixture.store->PutBatch(batch, &fixture.error)) {
      fixture.error = "load: " + fixture.error;
      return false;
    }
  }
  return true;
}

template <typename Store>
bool ReadAll(Fixture<Store>& fixture, uint64_t n) {
  typename Store::Scratch scratch;
  char key[kKeySize];
  for (uint64_t i = 0; i < n; ++i) {
    FormatKey(PresentIndex(i), key);
    bool right_size = false;
    const GetResult result = fixture.store->Get(
        std::string_view(key, kKeySize), &scratch,
        [&](std::string_view value) {
          right_size = value.size() == kValueSize;
        },
        &fixture.error);
    if (result != GetResult::kFound || !right_size) {
      fixture.error = "warm-up read of key " + std::string(key, kKeySize) +
                      ": " +
                      (result == GetResult::kNotFound ? "not found"
                       : right_size                   ? fixture.error
                                                      : "wrong value size");
      return false;
    }
  }
  return true;
}

template <typename Store>
void SettleCompactions(Store& store, const char* when) {
  if (!WaitForCompactions(store)) {
    std::fprintf(stderr,
                 "WARNING: %s %s: compactions not seen to settle "
                 "(leveldb.stats unavailable or still busy after 120 s)\n",
                 Store::kName, when);
  }
}

template <typename Store>
void SetUpDataSet(Fixture<Store>& fixture, Setup setup) {
  const uint64_t n = Config().keys;
  const StoreOptions options = OptionsFor(setup);
  std::string name = std::string(Store::kName) + "_get";
  if constexpr (Store::kLevelDb) {
    name += '_';
    name += SetupName(setup);
  }
  if (!OpenFresh(fixture, name, options)) return;

  auto start = std::chrono::steady_clock::now();
  if (!Load(fixture, n)) return;
  const double load_s = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  if constexpr (Store::kPersistent) {
    fixture.store.reset();
    fixture.store = Store::Open(fixture.path, options, &fixture.error);
    if (fixture.store == nullptr) {
      fixture.error = "reopen " + fixture.path + ": " + fixture.error;
      return;
    }
  }
  if constexpr (Store::kLevelDb) {
    SettleCompactions(*fixture.store, "after load");
  }
  const double settle_s = SecondsSince(start);

  start = std::chrono::steady_clock::now();
  if (!ReadAll(fixture, n)) return;
  const double warm_s = SecondsSince(start);
  if constexpr (Store::kLevelDb) {
    SettleCompactions(*fixture.store, "after warm-up");
  }

  std::fprintf(stderr,
               "%s get data set %s: %llu records; load %.2f s (%.0f "
               "records/s), reopen+settle %.2f s, warm-up read %.2f s (%.0f "
               "gets/s)\n",
               Store::kName, name.c_str(), static_cast<unsigned long long>(n),
               load_s, static_cast<double>(n) / load_s, settle_s, warm_s,
               static_cast<double>(n) / warm_s);
}

}  // namespace internal

// The loaded get data set of `Store` under `setup` (stores without LevelDB
// ignore the setup: use kLargeBlockCache); check error before using store.
template <typename Store, Setup setup = Setup::kLargeBlockCache>
Fixture<Store>& DataSet() {
  static Fixture<Store> fixture;
  std::call_once(fixture.once, [] { internal::SetUpDataSet(fixture, setup); });
  return fixture;
}

// The put benchmarks' database of `Store`; check error before using store.
template <typename Store>
Fixture<Store>& PutDb() {
  static Fixture<Store> fixture;
  std::call_once(fixture.once, [] {
    internal::OpenFresh(fixture, std::string(Store::kName) + "_put",
                        Config().store);
  });
  return fixture;
}

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_FIXTURES_H_
