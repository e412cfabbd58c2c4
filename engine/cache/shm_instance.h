// ShmInstance: one cache instance, a bounded key -> (value, version) cache in
// its own shared-memory segment, which survives a clean restart of the
// process that owns it.
//
// The engine puts one in front of LevelDB per instance id:
//   read:   Get(); on a miss: token = BeginFill(key), read LevelDB,
//           Fill(key, value, version, token) if found.
//   put:    after the LevelDB write, Update(key, value, version).
//   delete: after the LevelDB write, Invalidate(key, version).
//   close:  stop all callers, then MarkClean(leveldb_sequence).
//
// Correctness contract (the cache never serves what LevelDB lacks, nor a
// value older than an acknowledged put):
// - Versions only move forward: an Update, Fill or relocation never
//   replaces a newer version with an older one.
// - Fill inserts only if no Update/Invalidate/Erase touched the key's stripe
//   since BeginFill, so a fill racing a put or delete cannot leave the stale
//   value behind, even if the newer entry was evicted in between.
// - An Update of a key that is not cached is rejected if its version is at
//   or below the highest version evicted or invalidated in its stripe (a
//   newer version may have been there). Puts get fresh HLC versions, so this
//   only ever turns a racing or replayed write into a later miss.
// - Values that cannot be cached (too large) turn Update into Invalidate.
// - Any doubt is resolved towards a miss: a lock timeout marks the instance
//   failed (every Get misses, writes are dropped, Stats().healthy is false)
//   and the dirty segment is rebuilt at the next Open.
//
// Concurrency: all methods are thread-safe except MarkClean, which requires
// that no other call is running or will run. Get takes no lock (seqlock
// reads on the key's bucket, bounded retries); writers lock the key's two
// index buckets for a few hundred nanoseconds, and block only readers of
// those buckets. One process attaches a segment at a time (the engine holds
// the database's file lock); the previous owner may have died at any point,
// which Open detects (the segment is dirty) and answers by rebuilding.
//
// Memory: a 4 KiB header, a hash index of 64-byte buckets (one slot per
// 128 bytes of capacity), and a log of pages holding items (20-byte header
// + key + value, 8-byte aligned) with FIFO page eviction and CLOCK second
// chance. See segment_layout.h, hash_index.h, page_log.h, item.h.
#ifndef CAIRN_ENGINE_CACHE_SHM_INSTANCE_H_
#define CAIRN_ENGINE_CACHE_SHM_INSTANCE_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/cache/hash_index.h"
#include "engine/cache/instance_config.h"
#include "engine/cache/instance_stats.h"
#include "engine/cache/page_log.h"
#include "engine/cache/segment_layout.h"
#include "engine/cache/segment_name.h"
#include "engine/cache/sharded_counters.h"
#include "engine/mutex.h"
#include "engine/value_dest.h"
#include "engine/version.h"

namespace cairn::cache {

class ShmSegment;

// Taken by BeginFill before the engine reads LevelDB; see Fill.
struct FillToken {
  uint32_t stripe = 0;
  uint64_t writes = 0;
  bool valid = false;
};

class ShmInstance : private PageLog::Evictor, private PageLog::Backer {
 public:
  // Attaches the segment warm if it validates (see OpenReason), otherwise
  // discards and recreates it. A segment that is not ours (shm_segment.h)
  // is never attached nor removed: the instance is created afresh, under an
  // alternate name if another user holds the primary one, and the refusal
  // is in Stats().open_detail. Errors: InvalidArgument (bad name or
  // capacity), ResourceExhausted (shared memory full), PermissionDenied or
  // Unavailable (no name could be created). On error the engine runs
  // without this instance.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShmInstance>> Open(
      const InstanceConfig& config);

  // Removes a segment by name (cairn_destroy) if it is the effective
  // user's. OK if absent; PermissionDenied (nothing removed) if another
  // user's.
  [[nodiscard]] static absl::Status Remove(const std::string& segment_name);

  // Unmaps. Unless MarkClean succeeded, the segment stays dirty and the next
  // Open rebuilds it.
  ~ShmInstance() override;

  ShmInstance(const ShmInstance&) = delete;
  ShmInstance& operator=(const ShmInstance&) = delete;

  // A hit copies the value (if `value` is not null) and version out and
  // returns true. Misses, expired items and a failed instance return false.
  // With count_miss false a miss is not counted (the caller looks further,
  // and counts the miss with CountMiss if it still misses).
  bool Get(std::string_view key, std::string* value, Version* version,
           bool count_miss = true) {
    ValueDest dest(value);
    return Get(HashIndex::HashKey(key), key, value != nullptr ? &dest : nullptr,
               version, count_miss);
  }
  // The same with the key's hash (HashIndex::HashKey, equal to placement.h
  // KeyHash) computed by the
  // caller, into any destination (null: a presence check).
  bool Get(uint64_t hash, std::string_view key, ValueDest* value,
           Version* version, bool count_miss = true) {
    return GetAt(index_->LocateHash(hash), key, value, version, count_miss);
  }
  // Batched reads: Locate each key of a batch, PrefetchBuckets for every
  // key, then PrefetchItems for every key, then GetAt, so that the memory
  // accesses of the batch overlap. Prefetches are hints; always safe.
  KeyLoc Locate(uint64_t hash) const { return index_->LocateHash(hash); }
  void PrefetchBuckets(const KeyLoc& loc) const {
    if (Usable()) index_->PrefetchBuckets(loc);
  }
  void PrefetchItems(const KeyLoc& loc) const {
    if (Usable()) index_->PrefetchItems(loc);
  }
  bool GetAt(const KeyLoc& loc, std::string_view key, ValueDest* value,
             Version* version, bool count_miss = true);
  void CountMiss() { counters_.Add(kMisses); }
  // As Get, but counts nothing and leaves the CLOCK bit alone (migration).
  bool Peek(std::string_view key, std::string* value, Version* version) const;

  // After a put committed `version` to LevelDB. Replaces an older cached
  // version or inserts; see the contract above.
  void Update(std::string_view key, std::string_view value,
              const Version& version);

  // After a delete committed tombstone `version` to LevelDB. Removes the
  // cached entry unless it is newer than `version`.
  void Invalidate(std::string_view key, const Version& version);

  // The fill protocol for misses: BeginFill before reading LevelDB, Fill with
  // what was read. Fill returns true if the value was inserted.
  FillToken BeginFill(std::string_view key) const;
  bool Fill(std::string_view key, std::string_view value,
            const Version& version, const FillToken& token);

  // For migration: visits every unexpired item, bucket by bucket, each a
  // consistent snapshot; concurrent writes may or may not be seen. The
  // callback runs without locks held; return false to stop. To move an item
  // to another instance: t = dst.BeginFill(k); dst.Fill(k, v, ver, t);
  // src.Erase(k, ver).
  void ForEach(
      absl::FunctionRef<bool(std::string_view key, std::string_view value,
                             const Version& version)>
          fn) const;
  // The same over index buckets [begin, end) only, so a walk can be done in
  // steps. Returns the first bucket not fully visited: `end` when every
  // bucket was (or the instance failed: it holds nothing usable), less when
  // `fn` stopped the walk or a bucket stayed busy (visit it again).
  // Together with SetDisplacement(false), a walk that reaches `end` has
  // seen every item that was in the instance when the walk began and is
  // still there.
  uint32_t ForEachInBuckets(
      uint32_t begin, uint32_t end,
      absl::FunctionRef<bool(std::string_view key, std::string_view value,
                             const Version& version)>
          fn) const;
  uint32_t num_buckets() const { return geo_.num_buckets; }

  // Whether inserts may move another item to its alternate bucket to make
  // room (on by default). Off while the instance is a migration source, so
  // no item can move behind the walk's back; inserts then evict instead.
  void SetDisplacement(bool on) {
    displace_.store(on, std::memory_order_relaxed);
  }

  // Removes the entry if its version is <= `version`; true if removed.
  bool Erase(std::string_view key, const Version& version);

  // Clean close: records the LevelDB sequence (and ring epoch) so the next
  // Open can reattach warm. No other call may run concurrently or later;
  // afterwards every Get misses and writes are ignored. FailedPrecondition
  // if the instance failed or a lock is held.
  [[nodiscard]] absl::Status MarkClean(uint64_t sequence,
                                       uint64_t ring_epoch = 0);

  InstanceStats Stats() const;
  OpenReason open_reason() const { return open_reason_; }
  // Ring epoch stored at the last clean close (0 for a new segment).
  uint64_t ring_epoch_at_open() const { return ring_epoch_at_open_; }
  // The name the instance lives under (the primary or an alternate).
  const std::string& segment_name() const { return config_.segment_name; }

 private:
  enum class WriteKind { kUpdate, kFill };

  explicit ShmInstance(const InstanceConfig& config);

  // Opening (shm_instance_open.cc).
  OpenReason Examine(const ShmSegment& seg, std::string* detail) const;
  [[nodiscard]] absl::Status AdoptWarm(std::unique_ptr<ShmSegment> seg);
  [[nodiscard]] absl::Status CreateFresh(const std::string& name);
  void Bind(std::unique_ptr<ShmSegment> seg);
  [[nodiscard]] absl::Status ValidateIndex() const;

  // Operations (shm_instance.cc).
  bool Usable() const {
    return !failed_.load(std::memory_order_relaxed) &&
           !closed_.load(std::memory_order_relaxed);
  }
  bool Cacheable(size_t key_len, size_t value_len) const;
  bool Write(WriteKind kind, std::string_view key, std::string_view value,
             const Version& version, const FillToken* token);
  bool Link(WriteKind kind, const KeyLoc& loc, std::string_view key,
            const Version& version, const FillToken* token, uint64_t item,
            uint64_t bytes);
  void InvalidateAt(const KeyLoc& loc, std::string_view key,
                    const Version& version);
  void RemoveLocked(const SlotRef& ref, Counter why);
  void RaiseFloor(uint32_t stripe, uint64_t hlc);
  uint32_t NowTicks() const;
  bool Expired(uint32_t time) const;
  void Fail(const absl::Status& why);
  int Hook(std::string_view point) const {
    return config_.test_hook ? config_.test_hook(point) : 0;
  }
  bool EvictPage(uint64_t begin, uint32_t used) override;
  bool BackData(uint64_t offset, uint64_t len) override;

  InstanceConfig config_;  // now_ms is always set
  const pid_t pid_;
  uint64_t tick_ms_ = 1;
  uint64_t ttl_ticks_ = 0;

  std::unique_ptr<ShmSegment> segment_;
  char* base_ = nullptr;
  SegmentHeader* header_ = nullptr;
  Geometry geo_{};
  std::unique_ptr<HashIndex> index_;
  std::unique_ptr<PageLog> log_;
  uint64_t max_item_bytes_ = 0;

  OpenReason open_reason_ = OpenReason::kCreated;
  std::string open_detail_;
  uint64_t ring_epoch_at_open_ = 0;
  uint64_t counter_base_[kNumCounters] = {};
  ShardedCounters counters_;

  std::atomic<bool> failed_{false};
  std::atomic<bool> displace_{true};
  std::atomic<bool> closed_{false};
  mutable Mutex failure_mu_;
  std::string failure_ ABSL_GUARDED_BY(failure_mu_);
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SHM_INSTANCE_H_
