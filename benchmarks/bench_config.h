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

namespace cairn_bench {

struct StoreOptions {
  size_t write_buffer_size = 4 << 20;  // LevelDB's default memtable size.
  int block_cache_mb = 256;
  int bloom_bits_per_key = 10;
  bool snappy = true;        // "compression": snappy | none.
  int cairn_cache_mb = 256;  // Cairn only: "cache.capacity_mb".
};

struct BenchConfig {
  uint64_t keys = 1000000;
  std::string dir;
  bool remove_dir_at_exit = false;  // Only for a directory we created.
  StoreOptions store;
};

// Parses the environment on first use; exits with a message on a malformed
// value or when the directory cannot be created.
const BenchConfig& Config();

// Path of database `name` inside the run's directory.
std::string DbPath(const std::string& name);

// Removes the run's directory if this process created it.
void RemoveRunDirectory();

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_BENCH_CONFIG_H_
