// bench_config.h — run configuration of the storage benchmarks, read once
// from the environment, and the data directory's lifetime.
//
//   CAIRN_BENCH_KEYS           records in the get data set (default 1000000)
//   CAIRN_BENCH_DIR            where databases go (default: a fresh mkdtemp
//                              /tmp/cairn_bench.XXXXXX, removed at exit; a
//                              given directory is kept, only the databases
//                              the run created in it are removed)
//   CAIRN_BENCH_BLOCK_CACHE_MB block cache of both stores (default 256, which
//                              holds the whole 1M-record data set)
//   CAIRN_BENCH_CACHE_MB       Cairn's shared-memory cache, "cache.capacity_mb"
//                              (default 256: the 1M records take ~140 MiB
//                              there, so the data set fits as BENCHMARKS.md
//                              asks; Cairn's default of 64 holds under half)
//   CAIRN_BENCH_SMALL_BLOCK_CACHE_MB  block cache of the "small" setup of
//                              both stores (default 8, LevelDB's default; the
//                              figure BENCHMARKS.md quotes for LevelDB gets)
//   CAIRN_BENCH_COLD_CACHE_MB  Cairn cache of the cold-miss setup (default:
//                              10% of the key+value bytes, at least 1)
//   CAIRN_BENCH_SIZED_CACHE_MB Cairn cache of P9's "sized to the data" setup
//                              (default: the cached records plus 15%, in
//                              whole MiB: 150 for 1M records)
//   CAIRN_BENCH_VERIFY_CHECKSUMS 1 (default, Cairn's default) or 0: whether
//                              both stores verify block checksums on reads
//   CAIRN_BENCH_CAIRN_OPTIONS  extra Cairn options for every Cairn data set,
//                              "name=value,name=value" (for A/B runs, e.g.
//                              "verify_checksums=false"); set after the
//                              shared ones, so they can override them
//   CAIRN_BENCH_REATTACH=1     also run BM_CairnReattach, P8 (needs the
//                              cache's size free in /dev/shm, and a minute
//                              or two)
//   CAIRN_BENCH_REATTACH_MB    its cache.capacity_mb (default 1024)
//   CAIRN_BENCH_REATTACH_VALUE its value size in bytes (default 1000, so
//                              1 GiB fills in about a million puts)
//
// Both stores get the same LevelDB options: Cairn by name through
// cairn_options_set, LevelDB through leveldb::Options. Cairn's own cache has
// no LevelDB counterpart; it is the thing being measured.
//
// Thread safety: Config() may be called from any thread (initialised once).
#ifndef CAIRN_BENCHMARKS_BENCH_CONFIG_H_
#define CAIRN_BENCHMARKS_BENCH_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cairn_bench {

struct StoreOptions {
  size_t write_buffer_size = 4 << 20;  // LevelDB's default memtable size.
  int block_cache_mb = 256;
  int bloom_bits_per_key = 10;
  bool snappy = true;             // "compression": snappy | none.
  // Block checksums verified on every read from a table file: Cairn's
  // "verify_checksums" (default true) and leveldb::ReadOptions for LevelDB,
  // so both read the same way. CAIRN_BENCH_VERIFY_CHECKSUMS=0 turns both off.
  bool verify_checksums = true;
  // LevelDB only: store each record as Cairn lays it out in LevelDB ('d' +
  // key -> 13-byte kind and version + value), so a get reads what a Cairn
  // cache miss reads (without the op-log entries, trimmed in Cairn's data
  // sets anyway). The floor of P11.
  bool leveldb_cairn_shape = false;
  int cairn_cache_mb = 256;       // Cairn only: "cache.capacity_mb".
  int cairn_cache_instances = 4;  // Cairn only: "cache.instances" (default).
  // Cairn only: CAIRN_BENCH_CAIRN_OPTIONS, in order.
  std::vector<std::pair<std::string, std::string>> cairn_extra;
};

// The data sets the get benchmarks run against. Each is its own database
// per store, loaded identically; only the options differ.
enum class Setup {
  kLargeBlockCache,  // block cache of CAIRN_BENCH_BLOCK_CACHE_MB ("bc256")
  kSmallBlockCache,  // block cache of CAIRN_BENCH_SMALL_BLOCK_CACHE_MB ("bc8")
  kColdCache,        // small block cache, Cairn cache ~10% of the data
  kColdCacheSecondMiss,  // kColdCache with cache.admission=second_miss
  kSmallCacheCairnShape,  // kSmallBlockCache, LevelDB holding Cairn's records
  kSizedCache,       // Cairn cache sized to the data set (P9), large block cache
};

struct BenchConfig {
  uint64_t keys = 1000000;
  std::string dir;
  bool remove_dir_at_exit = false;  // Only for a directory we created.
  StoreOptions store;
  int small_block_cache_mb = 8;
  int cold_cache_mb = 0;  // computed from keys unless set
  int sized_cache_mb = 0;  // computed from keys unless set
  bool reattach = false;
  int reattach_mb = 1024;
  size_t reattach_value_size = 1000;
};

// Parses the environment on first use; exits with a message on a malformed
// value or when the directory cannot be created.
const BenchConfig& Config();

// The options of `setup`: Config().store with its block cache (and, for
// the cold setups, Cairn cache) size replaced; kColdCacheSecondMiss also
// sets cache.admission=second_miss.
StoreOptions OptionsFor(Setup setup);

// "bc256", "bc8": the block cache size of `setup`, for benchmark names.
std::string SetupLabel(Setup setup);

// Path of database `name` inside the run's directory.
std::string DbPath(const std::string& name);

// Removes the run's directory if this process created it.
void RemoveRunDirectory();

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_BENCH_CONFIG_H_
