// cairn_verify_bench — what verifying LevelDB block checksums on reads costs
// (issue 18; Cairn verifies by default).
//
// One data set (CAIRN_BENCH_KEYS records of 16-byte keys and 100-byte
// values, default 200000, snappy, bloom filters; workload.h's keys and
// values), read with uniform random gets through the C ABI with the read
// option verify_checksums off and on, in three setups (three databases, so
// --benchmark_enable_random_interleaving can mix all six runs):
//   cold         the shared-memory cache off and a 1 MiB block cache: almost
//                every get reads a table block (from the OS page cache) and,
//                when verifying, checks its CRC32C;
//   block_cache  the cache off, a block cache that could hold every block,
//                warmed: block-cache hits are never re-verified, but LevelDB
//                reads tables through mmap and never caches a block it can
//                point into (an uncompressed one: these values do not
//                compress), so such gets still read and verify the block;
//   cached       the shared-memory cache holding every record, warmed: hits
//                never reach LevelDB.
// Names: BM_VerifyGet/<setup>/verify:<0|1>. benchmarks/report.py prints the
// on/off ratio per setup.
//
// Environment: CAIRN_BENCH_KEYS, CAIRN_BENCH_DIR (default /tmp). Command and
// figures: README, "Damaged data: checks and repair".
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "cairn/cairn.h"
#include "workload.h"

namespace cairn_bench {
namespace {

uint64_t Keys() {
  const char* v = std::getenv("CAIRN_BENCH_KEYS");
  return v != nullptr && std::atoll(v) > 0 ? std::strtoull(v, nullptr, 10)
                                           : 200000;
}

std::string Dir() {
  const char* v = std::getenv("CAIRN_BENCH_DIR");
  std::string base = v != nullptr && v[0] != '\0' ? v : "/tmp";
  return base + "/cairn_verify_bench." + std::to_string(getpid());
}

void Die(const char* what, char* err) {
  std::fprintf(stderr, "cairn_verify_bench: %s: %s\n", what,
               err != nullptr ? err : "?");
  std::exit(1);
}

// One database per setup, each loaded with the same records and warmed
// once, all open together so the benchmarks can run interleaved.
class Bench {
 public:
  ~Bench() {
    for (auto& [setup, db] : dbs_) {
      cairn_close(db);
      char* err = nullptr;
      std::string dir = dir_ + "." + setup;
      if (cairn_destroy(dir.c_str(), &err) != CAIRN_OK) {
        std::fprintf(stderr, "cairn_verify_bench: destroy: %s\n", err);
        cairn_free(err);
      }
    }
  }

  cairn_db_t* For(const std::string& setup) {
    auto it = dbs_.find(setup);
    if (it != dbs_.end()) return it->second;
    const std::string dir = dir_ + "." + setup;
    cairn_db_t* db = Open(setup, dir);
    Load(db);
    // Reopen so the log's tail lands in a table too: every get reads tables.
    cairn_close(db);
    db = Open(setup, dir);
    if (setup != "cold") Warm(db);
    dbs_[setup] = db;
    return db;
  }

 private:
  static cairn_db_t* Open(const std::string& setup, const std::string& dir) {
    cairn_options_t* o = cairn_options_create();
    char* err = nullptr;
    auto set = [&](const char* name, const char* value) {
      if (cairn_options_set(o, name, value, &err) != CAIRN_OK) Die(name, err);
    };
    set("create_if_missing", "true");
    set("compression", "snappy");
    set("bloom_bits_per_key", "10");
    set("block_cache_mb", setup == "block_cache" ? "256" : "1");
    set("cache.capacity_mb", setup == "cached" ? "128" : "0");
    cairn_db_t* db = nullptr;
    if (cairn_open(o, dir.c_str(), &db, &err) != CAIRN_OK) Die("open", err);
    cairn_options_destroy(o);
    return db;
  }

  void Load(cairn_db_t* db) const {
    cairn_writebatch_t* b = cairn_writebatch_create();
    cairn_writeoptions_t* wo = cairn_writeoptions_create();
    std::mt19937_64 rng(7);
    char key[kKeySize];
    std::string value(kValueSize, '\0');
    char* err = nullptr;
    for (uint64_t i = 0; i < keys_; ++i) {
      FormatKey(i, key);
      for (char& c : value) c = static_cast<char>('!' + rng() % 90);
      if (cairn_writebatch_put(b, key, kKeySize, value.data(), value.size(),
                               &err) != CAIRN_OK) {
        Die("batch", err);
      }
      if ((i + 1) % 1000 == 0 || i + 1 == keys_) {
        if (cairn_write(db, wo, b, &err) != CAIRN_OK) Die("write", err);
        cairn_writebatch_clear(b);
      }
    }
    cairn_writebatch_destroy(b);
    cairn_writeoptions_destroy(wo);
  }

  void Warm(cairn_db_t* db) const {
    char key[kKeySize];
    for (uint64_t i = 0; i < keys_; ++i) {
      FormatKey(i, key);
      char* value = nullptr;
      size_t len = 0;
      char* err = nullptr;
      if (cairn_get(db, nullptr, key, kKeySize, &value, &len, &err) !=
          CAIRN_OK) {
        Die("warm", err);
      }
      cairn_free(value);
    }
  }

  const uint64_t keys_ = Keys();
  const std::string dir_ = Dir();
  std::map<std::string, cairn_db_t*> dbs_;
};

Bench& TheBench() {
  static Bench* bench = new Bench();  // destroyed by main, before exit
  return *bench;
}

void BM_VerifyGet(benchmark::State& state, const std::string& setup,
                  bool verify) {
  cairn_db_t* db = TheBench().For(setup);
  cairn_readoptions_t* ro = cairn_readoptions_create();
  cairn_readoptions_set_verify_checksums(ro, verify ? 1 : 0);
  std::mt19937_64 rng(42);
  const uint64_t n = Keys();
  char key[kKeySize];
  for (auto _ : state) {
    FormatKey(rng() % n, key);
    char* value = nullptr;
    size_t len = 0;
    char* err = nullptr;
    if (cairn_get(db, ro, key, kKeySize, &value, &len, &err) != CAIRN_OK) {
      state.SkipWithError(err != nullptr ? err : "get failed");
      cairn_free(err);
      break;
    }
    cairn_free(value);
  }
  state.SetItemsProcessed(state.iterations());
  cairn_readoptions_destroy(ro);
}

}  // namespace
}  // namespace cairn_bench

int main(int argc, char** argv) {
  using cairn_bench::BM_VerifyGet;
  for (const char* setup : {"cold", "block_cache", "cached"}) {
    for (int verify : {0, 1}) {
      std::string name = std::string("BM_VerifyGet/") + setup +
                         "/verify:" + std::to_string(verify);
      benchmark::RegisterBenchmark(name.c_str(), BM_VerifyGet,
                                   std::string(setup), verify == 1)
          ->UseRealTime();
    }
  }
  benchmark::AddCustomContext("cairn_verify_bench.keys",
                              std::to_string(cairn_bench::Keys()));
  benchmark::AddCustomContext("cairn.version", cairn_version());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  delete &cairn_bench::TheBench();
  return 0;
}
