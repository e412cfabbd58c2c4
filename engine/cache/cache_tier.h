// CacheTier: a database's shared-memory cache instances, used by Db.
//
// The tier owns `cache.instances` ShmInstances that together hold at most
// `cache.capacity_mb`, and a Placement that maps each key to its owner. Db
// calls it on the read path (Get; on a miss BeginFill before reading LevelDB
// and Fill after), on the write path (Update/Invalidate after the LevelDB
// commit) and at close (Close records the LevelDB sequence so the next open
// reattaches warm).
//
// The tier never fails the host: an instance that cannot be opened (shared
// memory full, a name held by something else) is left out — its keys bypass
// the cache — and the reason is logged and shown in the "cairn.cache"
// property.
//
// Thread-safe, except Close, which must not race with other calls.
#ifndef CAIRN_ENGINE_CACHE_CACHE_TIER_H_
#define CAIRN_ENGINE_CACHE_CACHE_TIER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/cache/placement.h"
#include "engine/cache/shm_instance.h"
#include "engine/version.h"

namespace leveldb {
class Logger;
}

namespace cairn::cache {

struct TierOptions {
  uint64_t capacity_bytes = 64ull << 20;  // 0 disables the tier
  uint32_t instances = 4;
  uint64_t max_item_size = 64ull << 10;
  uint64_t ttl_ms = 0;
  uint32_t lock_timeout_ms = 1000;
};

// Totals over the instances, for "cairn.stats".
struct TierTotals {
  uint64_t capacity_bytes = 0, used_bytes = 0, items = 0, hits = 0,
           misses = 0, fills = 0, evictions = 0, expirations = 0;
};

class CacheTier {
 public:
  // The smallest capacity one instance can have.
  static constexpr uint64_t kMinInstanceBytes = 64ull << 10;

  // InvalidArgument when the options cannot work (capacity per instance
  // below the minimum). Otherwise always succeeds; instances that fail to
  // open are reported, not fatal. `sequence` is the LevelDB sequence now.
  static absl::StatusOr<std::unique_ptr<CacheTier>> Open(
      const TierOptions& options, const std::string& canonical_db_path,
      uint64_t sequence, leveldb::Logger* log);

  // Removes every segment of the database at `canonical_db_path`.
  static absl::Status RemoveSegments(const std::string& canonical_db_path);

  ~CacheTier();

  struct FillHandle {
    ShmInstance* instance = nullptr;
    FillToken token;
  };

  // A hit copies the value and version out.
  bool Get(uint64_t hash, std::string_view key, std::string* value,
           Version* version) {
    ShmInstance* inst = Owner(hash);
    return inst != nullptr && inst->Get(key, value, version);
  }
  FillHandle BeginFill(uint64_t hash, std::string_view key) {
    ShmInstance* inst = Owner(hash);
    if (inst == nullptr) return {};
    return {inst, inst->BeginFill(key)};
  }
  void Fill(const FillHandle& h, std::string_view key, std::string_view value,
            const Version& version) {
    if (h.instance != nullptr) h.instance->Fill(key, value, version, h.token);
  }
  void Update(uint64_t hash, std::string_view key, std::string_view value,
              const Version& version) {
    if (ShmInstance* inst = Owner(hash)) inst->Update(key, value, version);
  }
  void Invalidate(uint64_t hash, std::string_view key, const Version& version) {
    if (ShmInstance* inst = Owner(hash)) inst->Invalidate(key, version);
  }

  // Marks every instance clean at `sequence`. No call may follow.
  void Close(uint64_t sequence);

  TierTotals Totals() const;
  // The "cairn.cache" property.
  std::string PropertyJson() const;

 private:
  struct Slot {
    std::unique_ptr<ShmInstance> instance;  // null: disabled
    std::string segment_name;
    uint64_t capacity_bytes = 0;
    std::string disabled_reason;
  };

  CacheTier(const TierOptions& options, std::unique_ptr<Placement> placement)
      : options_(options), placement_(std::move(placement)) {}
  ShmInstance* Owner(uint64_t hash) const {
    return slots_[placement_->InstanceFor(hash)].instance.get();
  }

  const TierOptions options_;
  std::unique_ptr<Placement> placement_;
  std::vector<Slot> slots_;
  leveldb::Logger* log_ = nullptr;
  bool closed_ = false;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_CACHE_TIER_H_
