// CacheTier: a database's shared-memory cache instances, placed on a
// consistent-hash ring, grown and shrunk online while data migrates.
//
// The tier owns the ShmInstances of the current ring (and, while a
// migration runs, of the previous one), the ring layout (ring/layout.h),
// and a background mover. Db calls it through an Access, which pins the
// route (ring + instances) for one operation:
//   read:   Get (a hit, or during a migration a lazy move from the previous
//           owner); on a miss BeginFill before reading LevelDB, Fill after
//           (BeginFill asks the admission policy first, admission.h);
//   write:  Update/Invalidate after the LevelDB commit;
// and at close (Close records the LevelDB sequence and the layout id so the
// next open reattaches warm).
//
// Changes (AddInstance, RemoveInstance) make a new epoch: the layout is
// persisted (TierOptions::save_layout) before the new route is published.
// Migration from epoch e to e+1 then runs while reads and writes continue:
//  - lazy: a miss at the new owner takes the item from the previous owner
//    (BeginFill at the new owner, read the old, Fill, Erase from the old);
//  - writes invalidate the previous owner before updating the new one, so
//    the previous owner never holds a value older than an acknowledged
//    write that a lazy move could resurrect;
//  - a mover thread walks the instances that lost buckets and moves what
//    they hold for other owners, at most TierOptions::migration_rate items
//    a second;
//  - Transfer(from, to) moves at once what `from` holds for `to`.
// The mover's walk must be complete: a misplaced copy that outlived its
// migration would be served stale if its instance regained the key in a
// later epoch (writes no longer reach it). So sources stop displacing items
// between buckets while they are walked, a bucket too busy to read is walked
// again, and a key whose copy cannot be read is erased outright.
// When the mover has walked every source the migration ends: the previous
// ring is dropped (persisted), and removed instances are unmapped and their
// segments deleted. A change requested while a migration runs first
// finishes that migration at full speed (the call waits for it), then
// starts its own: changes queue, they never compose.
//
// The tier never fails the host: an instance that cannot be opened is left
// out (its keys bypass the cache) and the reason is logged and shown in the
// "cairn.cache" property.
//
// Thread-safe. Close must not race with other calls; after it every change
// fails with Unavailable.
#ifndef CAIRN_ENGINE_CACHE_CACHE_TIER_H_
#define CAIRN_ENGINE_CACHE_CACHE_TIER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/cache/admission.h"
#include "engine/cache/placement.h"
#include "engine/cache/sharded_counters.h"
#include "engine/cache/shm_instance.h"
#include "engine/mutex.h"
#include "engine/ring/layout.h"
#include "engine/ring/route_lock.h"
#include "engine/value_dest.h"
#include "engine/version.h"

namespace leveldb {
class Logger;
}

namespace cairn::cache {

struct TierOptions {
  uint64_t capacity_bytes = 64ull << 20;  // of the first layout
  uint32_t instances = 4;                 // of the first layout
  uint64_t max_item_size = 64ull << 10;
  uint64_t ttl_ms = 0;
  uint32_t lock_timeout_ms = 1000;
  // Items a second the background mover moves (>= 1).
  uint64_t migration_rate = 100000;
  // Which read-miss fills enter the cache (admission.h).
  AdmissionPolicy admission = AdmissionPolicy::kAlways;
  // kSecondMiss: distinct missing keys remembered; 0 sizes it from the
  // capacity (four times the index slots, about the items it can hold).
  uint64_t admission_window = 0;
  // The encoded layout the last run saved, if any.
  std::optional<std::string> saved_layout;
  // Saves an encoded layout durably; called before a change takes effect,
  // when a migration ends, and at Close. Null: layouts are not persisted.
  std::function<absl::Status(const std::string& encoded)> save_layout;
  // The TTL clock (see InstanceConfig::now_ms); null: CLOCK_MONOTONIC.
  std::function<uint64_t()> now_ms;
  // Tests only: called at named points so a test can force one order of two
  // racing calls (as RocksDB's sync points do): "add:waiting" and
  // "close:waiting" before taking the change lock, "add:locked" (past the
  // closed check) and "close:locked" (closed set) holding it.
  std::function<void(std::string_view point)> sync_point;
};

// Totals over the instances, for "cairn.stats".
struct TierTotals {
  uint64_t capacity_bytes = 0, used_bytes = 0, items = 0, hits = 0, misses = 0,
           fills = 0, evictions = 0, expirations = 0;
};

class CacheTier {
 public:
  // The smallest and largest capacity one instance can have.
  static constexpr uint64_t kMinInstanceBytes = 64ull << 10;
  static constexpr uint64_t kMaxInstanceBytes = 32ull << 30;

  // InvalidArgument when the options cannot work (capacity per instance
  // below the minimum). Otherwise always succeeds; instances that fail to
  // open are reported, not fatal. `sequence` is the LevelDB sequence now.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CacheTier>> Open(
      const TierOptions& options, const std::string& canonical_db_path,
      uint64_t sequence, leveldb::Logger* log);

  // Removes every segment of the database at `canonical_db_path`.
  [[nodiscard]] static absl::Status RemoveSegments(
      const std::string& canonical_db_path);

  ~CacheTier();

  struct FillHandle {
    ShmInstance* instance = nullptr;
    FillToken token;
    bool refused = false;  // by admission: Fill only counts the refusal
    // Whether the caller should call Fill with what it reads.
    bool pending() const { return instance != nullptr || refused; }
  };

  struct Route;

  // One cache operation's view of the tier: holds the route for its
  // lifetime (keep it short; never hold two in one thread).
  class ABSL_SCOPED_LOCKABLE Access {
   public:
    explicit Access(CacheTier* tier) ABSL_SHARED_LOCK_FUNCTION(tier->lock_);
    ~Access() ABSL_UNLOCK_FUNCTION();
    Access(const Access&) = delete;
    Access& operator=(const Access&) = delete;

    // A hit copies the value and version out (during a migration, possibly
    // after moving the item from its previous owner).
    bool Get(uint64_t hash, std::string_view key, ValueDest* value,
             Version* version);
    bool Get(uint64_t hash, std::string_view key, std::string* value,
             Version* version) {
      ValueDest dest(value);
      return Get(hash, key, value != nullptr ? &dest : nullptr, version);
    }
    // Get for a batch of keys with their hashes, overlapping the memory
    // accesses of the keys (prefetching, see ShmInstance). hit[i] tells
    // whether keys[i] was found; values[i] and versions[i] (versions may be
    // null) are filled for hits.
    void GetBatch(size_t n, const uint64_t* hashes,
                  const std::string_view* keys, ValueDest* values,
                  Version* versions, bool* hit);
    // A read miss: asks the admission policy, then takes the fill token.
    // Call Fill after reading LevelDB if the handle is pending().
    FillHandle BeginFill(uint64_t hash, std::string_view key);
    void Fill(const FillHandle& h, std::string_view key, std::string_view value,
              const Version& version);
    void Update(uint64_t hash, std::string_view key, std::string_view value,
                const Version& version);
    void Invalidate(uint64_t hash, std::string_view key,
                    const Version& version);
    // Hints for a batch of writes (Db::UpdateCache), as GetBatch overlaps
    // its reads: start loading the owner's bucket lines for `hash`, and
    // later (once those may have arrived) the items they point to, so that
    // the Update or Invalidate of that key finds them in the CPU cache.
    // No synchronisation; always safe.
    void PrefetchBuckets(uint64_t hash) const;
    void PrefetchItems(uint64_t hash) const;

   private:
    friend class CacheTier;
    CacheTier* const tier_;
    const int slot_;
    const Route* const route_;
  };

  // Adds an instance of `capacity_bytes` and starts migrating to it.
  // Returns its id. InvalidArgument for a capacity out of range or beyond
  // the free shared memory; ResourceExhausted when the ring is full;
  // Unavailable after Close.
  [[nodiscard]] absl::StatusOr<uint32_t> AddInstance(uint64_t capacity_bytes);
  // Removes instance `id`: its keys go to the others, it is drained by the
  // migration and freed when that ends. InvalidArgument for an unknown id or
  // the last instance; Unavailable after Close.
  [[nodiscard]] absl::Status RemoveInstance(uint32_t id);
  // Moves now everything `from` holds that the current ring places on `to`.
  // `from` may be an instance being removed. Returns the items moved.
  [[nodiscard]] absl::StatusOr<uint64_t> Transfer(uint32_t from, uint32_t to);
  // Runs the current migration to its end at full speed (no-op when
  // stable). For tests, tools and changes that queue behind it.
  // Waits, without driving it, until no migration runs (the background
  // mover finishes it), the tier closes, or the deadline passes; returns
  // whether the ring is stable.
  bool WaitMigrationEnd(absl::Time deadline) ABSL_LOCKS_EXCLUDED(change_mu_);
  [[nodiscard]] absl::Status FinishMigration();

  // Stops the mover, saves the layout and marks every instance clean at
  // `sequence`. No call may follow except properties.
  void Close(uint64_t sequence);

  TierTotals Totals() const;
  // For Db::Check (cache_tier_check.cc): visits every unexpired item of
  // every instance with the instance's id, without counting hits or moving
  // anything. Holds off cache-instance changes meanwhile. `fn` returns false
  // to stop.
  void ForEachItem(
      absl::FunctionRef<bool(uint32_t instance_id, std::string_view key,
                             std::string_view value, const Version& version)>
          fn);
  // The "cairn.cache" and "cairn.migration" properties.
  std::string PropertyJson() const;
  std::string MigrationJson() const;

 private:
  struct Slot {
    std::unique_ptr<ShmInstance> instance;  // null: disabled
    std::string segment_name;
    uint64_t capacity_bytes = 0;
    std::string disabled_reason;
  };

  CacheTier(const TierOptions& options, std::string db_path,
            leveldb::Logger* log);

  // cache_tier.cc
  [[nodiscard]] absl::Status OpenSlot(uint32_t id, uint64_t capacity,
                                      uint64_t layout_id, uint64_t sequence,
                                      bool fresh)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  std::unique_ptr<Route> BuildRoute() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  [[nodiscard]] absl::Status SaveLayout()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);

  // cache_tier_migration.cc
  [[nodiscard]] absl::Status BeginEpoch(ring::Ring next)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  void ResetMover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  // Walks up to `max_buckets` buckets of the current source; ends the
  // migration after the last. Returns items moved.
  uint64_t StepLocked(uint32_t max_buckets)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  [[nodiscard]] absl::Status FinishLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  void EndMigration() ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  // Walks `src`'s index buckets [begin, end) and moves to its current owner
  // every key whose owner `select` picks; adds the moves to *moved. Returns
  // the first bucket not fully walked (ShmInstance::ForEachInBuckets).
  uint32_t MoveWalk(ShmInstance* src, uint32_t begin, uint32_t end,
                    absl::FunctionRef<bool(uint32_t owner)> select,
                    uint64_t* moved) ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  // Moves `key` from `src` to its current owner; true if moved.
  bool MoveOne(ShmInstance* src, std::string_view key);
  void MoverLoop();
  void StopMover();
  uint64_t RemainingEstimate() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);

  void SyncPoint(std::string_view point) const {
    if (options_.sync_point) options_.sync_point(point);
  }

  const TierOptions options_;
  const std::string db_path_;
  leveldb::Logger* const log_;

  // Null with AdmissionPolicy::kAlways.
  std::unique_ptr<Doorkeeper> doorkeeper_;
  // Read-miss fills attempted (admitted) and refused by admission.
  enum AdmissionCounter { kAdmitted, kRefused, kNumAdmissionCounters };
  BasicShardedCounters<AdmissionCounter, kNumAdmissionCounters> admission_;

  mutable ring::RouteLock lock_;
  const Route* route_ ABSL_GUARDED_BY(lock_) = nullptr;

  // Serialises changes, mover steps and close; guards the layout and slots.
  mutable Mutex change_mu_;
  ring::Layout layout_ ABSL_GUARDED_BY(change_mu_);
  absl::flat_hash_map<uint32_t, std::unique_ptr<Slot>> slots_
      ABSL_GUARDED_BY(change_mu_);
  std::vector<uint32_t> sources_ ABSL_GUARDED_BY(change_mu_);
  size_t cursor_source_ ABSL_GUARDED_BY(change_mu_) = 0;
  uint32_t cursor_bucket_ ABSL_GUARDED_BY(change_mu_) = 0;
  std::string layout_note_ ABSL_GUARDED_BY(change_mu_);
  bool closed_ ABSL_GUARDED_BY(change_mu_) = false;

  CondVar migration_ended_;  // with change_mu_: EndMigration() ran

  std::atomic<uint64_t> moved_lazy_{0};
  std::atomic<uint64_t> moved_mover_{0};
  std::atomic<uint64_t> moved_transfer_{0};

  Mutex mover_mu_;
  CondVar mover_cv_;
  bool mover_stop_ ABSL_GUARDED_BY(mover_mu_) = false;
  bool mover_work_ ABSL_GUARDED_BY(mover_mu_) = false;
  std::thread mover_;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_CACHE_TIER_H_
