// p7_sim_strategy.h — the two SIMULATED strategies of cairn_p7:
//
//   consistent  the same ShmInstance and ring::Ring code the engine uses,
//               driven directly by this program: keys routed by
//               Ring::IndexFor, the add is Ring::WithAdded, and there is NO
//               migration: items left in their old owner are never read
//               again.
//   modulo      the same ShmInstance code, keys routed by hash % N (N = 4,
//               then 5): most keys change owner at the add.
//
// In both, a miss reads the record from a Cairn database opened with
// cache.capacity_mb=0 (so LevelDB with the same options and record format
// as the product's miss path) and fills the owner with BeginFill/Fill, as
// the engine's Db::Get does. Simulated hits skip the C ABI and the route
// lock (they still copy the value into a malloc'd buffer, as cairn_get
// does), so their absolute throughput is a little flattering; compare each
// strategy's throughput with its own steady state.
//
// Segments are named /cairn-p7-<pid>-<strategy>-<i> and removed by the
// destructor (or, if the process dies, by the watchdog: p7_watchdog.h).
#ifndef CAIRN_BENCHMARKS_MIGRATION_P7_SIM_STRATEGY_H_
#define CAIRN_BENCHMARKS_MIGRATION_P7_SIM_STRATEGY_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "cairn_store.h"
#include "engine/cache/shm_instance.h"
#include "engine/ring/ring.h"
#include "p7_config.h"
#include "p7_strategy.h"
#include "workload.h"

namespace p7 {

class SimStrategy : public Strategy {
 public:
  enum class Routing { kRing, kModulo };

  // Opens cfg.instances instances over the (loaded) database at `db_path`.
  SimStrategy(const Config& cfg, Routing routing, const std::string& db_path,
              const cairn_bench::ValuePool& pool);
  ~SimStrategy() override;

  const char* name() const override {
    return routing_ == Routing::kRing ? "consistent" : "modulo";
  }
  bool simulated() const override { return true; }
  std::string description() const override;

  ReadResult Read(uint64_t index, std::string_view key) override;
  void AddInstance() override;
  double ring_moved_share() const override;

  uint64_t CachedItems() override;
  uint32_t Instances() override;

 private:
  struct Slot {
    std::string name;
    std::unique_ptr<cairn::cache::ShmInstance> instance;
  };
  // An immutable routing table; readers load the current one.
  struct Route {
    Routing routing;
    cairn::ring::Ring ring;
    std::vector<cairn::cache::ShmInstance*> instances;
    cairn::cache::ShmInstance* Owner(uint64_t hash) const;
  };

  void OpenInstance(uint32_t i);
  std::vector<cairn::cache::ShmInstance*> RawInstances() const;
  void Publish(std::unique_ptr<Route> route);

  const Config& cfg_;
  const Routing routing_;
  const cairn_bench::ValuePool& pool_;
  std::unique_ptr<cairn_bench::CairnStore> backing_;
  std::vector<Slot> slots_;  // changed only before readers start, or by the
                             // add (readers see it through the new route)
  std::vector<std::unique_ptr<Route>> routes_;
  std::atomic<const Route*> route_{nullptr};
  double ring_moved_share_ = 0;
};

}  // namespace p7

#endif  // CAIRN_BENCHMARKS_MIGRATION_P7_SIM_STRATEGY_H_
