// p7_cairn_strategy.h — the product in cairn_p7, through its C ABI
// (libcairn.so, via the benchmarks' shared wrapper cairn_store.h).
//
//   cairn  cairn_open with cache.instances / cache.capacity_mb, cairn_get,
//          then cairn_cache_add_instance. Hits and misses are deltas of the
//          "cairn.cache" property's totals; the migration state comes from
//          "cairn.migration". The migration runs at Cairn's default
//          migration.rate_items_per_sec unless --migration-rate is given.
//
// Also the database every strategy reads through: loaded once, and read by
// the simulations with cache.capacity_mb=0 on a miss.
#ifndef CAIRN_BENCHMARKS_MIGRATION_P7_CAIRN_STRATEGY_H_
#define CAIRN_BENCHMARKS_MIGRATION_P7_CAIRN_STRATEGY_H_

#include <memory>
#include <string>

#include "cairn_store.h"
#include "nlohmann/json.hpp"
#include "p7_config.h"
#include "p7_strategy.h"
#include "workload.h"

namespace p7 {

// Opens the database at `path` with options by name, or throws (Die).
std::unique_ptr<cairn_bench::CairnStore> OpenCairn(
    const std::string& path,
    const cairn_bench::CairnStore::NamedOptions& options);

// Reads and parses a JSON property, or throws (Die).
nlohmann::ordered_json PropertyJson(cairn_bench::CairnStore& db,
                                    const std::string& name);

// Loads records [0, cfg.keys) into a new database at `path` (no cache), in
// batches of 1000, and waits for its compactions.
void LoadDatabase(const Config& cfg, const std::string& path,
                  const cairn_bench::ValuePool& pool);

// Reopens the database at `path` without a cache, which removes the cache
// segments a cairn run left at once.
void DropCache(const std::string& path);

class CairnStrategy : public Strategy {
 public:
  // Opens the database at `path` with cfg.instances instances of
  // cfg.instance_mb MiB; throws (Die) if an instance is not usable.
  CairnStrategy(const Config& cfg, const std::string& path,
                const cairn_bench::ValuePool& pool);

  const char* name() const override { return "cairn"; }
  bool simulated() const override { return false; }
  std::string description() const override;

  ReadResult Read(uint64_t index, std::string_view key) override;
  void AddInstance() override;
  std::string add_error() const override { return add_error_; }

  bool CacheCounts(uint64_t* hits, uint64_t* misses) override;
  uint64_t CachedItems() override;
  uint32_t Instances() override;
  MigrationInfo Migration() override;

 private:
  const Config& cfg_;
  const cairn_bench::ValuePool& pool_;
  std::unique_ptr<cairn_bench::CairnStore> db_;
  std::string add_error_;  // written by AddInstance, read after the join
};

}  // namespace p7

#endif  // CAIRN_BENCHMARKS_MIGRATION_P7_CAIRN_STRATEGY_H_
