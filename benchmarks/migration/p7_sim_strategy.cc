#include "p7_sim_strategy.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "compaction_wait.h"
#include "engine/cache/placement.h"
#include "p7_cairn_strategy.h"

namespace p7 {

using cairn::Version;
using cairn::cache::ShmInstance;

SimStrategy::SimStrategy(const Config& cfg, Routing routing,
                         const std::string& db_path,
                         const cairn_bench::ValuePool& pool)
    : cfg_(cfg),
      routing_(routing),
      pool_(pool),
      backing_(OpenCairn(db_path, {{"cache.capacity_mb", "0"}})) {
  cairn_bench::WaitForCompactions(*backing_);
  std::vector<cairn::ring::Member> members;
  for (uint32_t i = 0; i < cfg.instances; ++i) {
    OpenInstance(i);
    members.push_back({i, cfg.instance_mb << 20});
  }
  auto route = std::make_unique<Route>();
  route->routing = routing_;
  absl::StatusOr<cairn::ring::Ring> ring =
      cairn::ring::Ring::Create(std::move(members));
  if (!ring.ok()) Die("Ring::Create: " + ring.status().ToString());
  route->ring = *std::move(ring);
  route->instances = RawInstances();
  Publish(std::move(route));
}

SimStrategy::~SimStrategy() {
  for (Slot& s : slots_) {
    s.instance.reset();
    (void)ShmInstance::Remove(s.name);
  }
}

std::string SimStrategy::description() const {
  return routing_ == Routing::kRing
             ? "SIMULATED consistent hashing without migration: the same "
               "ShmInstance + ring::Ring code (Ring::WithAdded), moved "
               "keys refetched from LevelDB"
             : "SIMULATED modulo rehashing: the same ShmInstance code "
               "routed by hash % N, moved keys refetched from LevelDB";
}

ReadResult SimStrategy::Read(uint64_t index, std::string_view key) {
  const uint64_t hash = cairn::cache::KeyHash(key);
  ShmInstance* owner = route_.load(std::memory_order_acquire)->Owner(hash);
  thread_local std::string value;
  Version version;
  if (owner->Get(key, &value, &version)) {
    // cairn_get hands the value out in a malloc'd buffer: do the same.
    char* copy = static_cast<char*>(std::malloc(value.size() + 1));
    std::memcpy(copy, value.data(), value.size());
    const bool ok = ValueOk(pool_, index, copy, value.size());
    std::free(copy);
    return ok ? ReadResult::kHit : ReadResult::kError;
  }
  // Miss: as Db::Get, BeginFill before the LevelDB read, Fill after.
  const cairn::cache::FillToken token = owner->BeginFill(key);
  bool ok = false;
  std::string error;
  thread_local std::string scratch;  // reused per reader thread
  const cairn_bench::GetResult got = backing_->Get(
      key, &scratch,
      [&](std::string_view v) {
        // There are no writes in this benchmark, so any fixed version will
        // do.
        owner->Fill(key, v, Version{1, 1}, token);
        ok = ValueOk(pool_, index, v.data(), v.size());
      },
      &error);
  if (got != cairn_bench::GetResult::kFound) return ReadResult::kError;
  return ok ? ReadResult::kMiss : ReadResult::kError;
}

void SimStrategy::AddInstance() {
  const uint32_t id = static_cast<uint32_t>(slots_.size());
  OpenInstance(id);
  const Route* old = route_.load(std::memory_order_acquire);
  auto route = std::make_unique<Route>();
  route->routing = routing_;
  absl::StatusOr<cairn::ring::Ring> ring =
      old->ring.WithAdded({id, cfg_.instance_mb << 20});
  if (!ring.ok()) Die("Ring::WithAdded: " + ring.status().ToString());
  route->ring = *std::move(ring);
  route->instances = RawInstances();
  // How much of the key space changed owner (printed for the record).
  uint32_t moved = 0;
  for (uint32_t b = 0; b < cairn::ring::kBuckets; ++b) {
    if (routing_ == Routing::kRing &&
        old->ring.members()[old->ring.table()[b]].id !=
            route->ring.members()[route->ring.table()[b]].id) {
      ++moved;
    }
  }
  ring_moved_share_ = static_cast<double>(moved) / cairn::ring::kBuckets;
  Publish(std::move(route));
}

double SimStrategy::ring_moved_share() const {
  // modulo has no ring: report nothing rather than the 0 counted above.
  return routing_ == Routing::kRing ? ring_moved_share_ : NAN;
}

uint64_t SimStrategy::CachedItems() {
  uint64_t n = 0;
  for (Slot& s : slots_) n += s.instance->Stats().items;
  return n;
}

uint32_t SimStrategy::Instances() {
  return static_cast<uint32_t>(
      route_.load(std::memory_order_acquire)->instances.size());
}

ShmInstance* SimStrategy::Route::Owner(uint64_t hash) const {
  if (routing == Routing::kRing) return instances[ring.IndexFor(hash)];
  // hash % N, on the hash remixed as the ring remixes it, so the choice of
  // instance is independent of the bits an instance uses for its own index
  // buckets and tags (plain XXH3 % N would skew those).
  const uint64_t mixed = ((hash ^ (hash >> 31)) * 0x9e3779b97f4a7c15ull) >> 32;
  return instances[mixed % instances.size()];
}

void SimStrategy::OpenInstance(uint32_t i) {
  Slot s;
  s.name = "/cairn-p7-" + std::to_string(getpid()) + "-" + name() + "-" +
           std::to_string(i);
  (void)ShmInstance::Remove(s.name);
  cairn::cache::InstanceConfig c;
  c.segment_name = s.name;
  c.capacity_bytes = cfg_.instance_mb << 20;
  c.max_item_size = 64 << 10;  // Cairn's cache.max_item_size default
  absl::StatusOr<std::unique_ptr<ShmInstance>> inst = ShmInstance::Open(c);
  if (!inst.ok()) {
    (void)ShmInstance::Remove(s.name);
    Die("ShmInstance::Open(" + s.name + "): " + inst.status().ToString());
  }
  s.instance = *std::move(inst);
  slots_.push_back(std::move(s));
}

std::vector<ShmInstance*> SimStrategy::RawInstances() const {
  std::vector<ShmInstance*> out;
  for (const Slot& s : slots_) out.push_back(s.instance.get());
  return out;
}

void SimStrategy::Publish(std::unique_ptr<Route> route) {
  route_.store(route.get(), std::memory_order_release);
  routes_.push_back(std::move(route));  // readers may still use old ones
}

}  // namespace p7
