// Db: tombstone collection (see db.h, PurgeTombstones). A walk over the data
// keys finds tombstones older than the caller's bound; each batch of them is
// then deleted through the write queue, where the leader deletes a record
// only if it is still exactly the tombstone the walk saw (db_write.cc,
// BuildGroup). The walk reads outside the queue, so a write may land
// between the two; the guard turns that race into a kept key, never a lost
// write.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/cache/placement.h"
#include "engine/db.h"
#include "engine/db_commit_request.h"
#include "engine/read_trail.h"
#include "engine/status.h"
#include "leveldb/db.h"
#include "leveldb/iterator.h"

namespace cairn {
namespace {

// One commit's worth of a purge: bounds the LevelDB batch and the memory
// the walk holds, whatever max_records the caller asks for.
constexpr size_t kPurgeBatchRecords = 1000;
constexpr size_t kPurgeBatchKeyBytes = 1 << 20;

}  // namespace

struct Db::PurgeCandidates {
  std::vector<std::string> keys;
  std::vector<Version> versions;
  size_t key_bytes = 0;
  // Tombstones the walk passed because they are not older than the bound.
  size_t too_young = 0;
  // The first key not visited (the next walk's `from`); nullopt when the
  // walk reached `until`.
  std::optional<std::string> resume;
};

absl::Status Db::FindTombstones(std::string_view from,
                                const std::optional<std::string>& until,
                                uint64_t max_hlc, size_t max,
                                PurgeCandidates* out) {
  leveldb::ReadOptions lro = InternalReadOptions();
  lro.fill_cache = false;  // a walk over every key should not evict hot blocks
  const std::string end =
      until.has_value() ? DataKey(*until) : std::string(1, kDataPrefix + 1);
  ReadTrail trail;
  std::unique_ptr<leveldb::Iterator> it(ldb_->NewIterator(lro));
  // Stops at a damaged block (LevelDB's iterator would step over it).
  for (it->Seek(DataKey(from)); it->Valid() && it->status().ok(); it->Next()) {
    leveldb::Slice k = it->key();
    if (std::string_view(k.data(), k.size()) >= end) break;
    std::string_view key(k.data() + 1, k.size() - 1);
    if (out->keys.size() >= max || out->key_bytes >= kPurgeBatchKeyBytes) {
      out->resume = std::string(key);
      return absl::OkStatus();
    }
    absl::StatusOr<RecordView> r =
        ParseRecord({it->value().data(), it->value().size()});
    if (!r.ok()) {
      return CorruptionError(absl::StrCat("record of a key of ", key.size(),
                                          " bytes: ", r.status().message()));
    }
    if (r->kind != OpKind::kDelete) continue;
    if (r->version.hlc >= max_hlc) {
      ++out->too_young;
      continue;
    }
    out->keys.emplace_back(key);
    out->versions.push_back(r->version);
    out->key_bytes += key.size();
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "looking for tombstones to purge");
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Db::CommitPurge(const PurgeCandidates& candidates) {
  const size_t n = candidates.keys.size();
  std::vector<OpView> ops;
  ops.reserve(n);
  for (const std::string& key : candidates.keys) {
    ops.push_back({OpKind::kDelete, key, {}, {}});
  }
  std::vector<Version> versions = candidates.versions;
  std::unique_ptr<bool[]> purged(new bool[n]());
  CommitRequest req;
  req.purge = true;
  req.ops = ops.data();
  req.n = n;
  req.versions = versions.data();
  req.applied = purged.get();
  if (absl::Status s = Commit(WriteOptions(), &req); !s.ok()) return s;
  uint64_t count = 0;
  for (size_t i = 0; i < n; ++i) count += purged[i] ? 1 : 0;
  // The cache holds no value older than a tombstone (the delete invalidated
  // it); invalidating at the tombstone's version drops any copy of it and
  // leaves a newer write's entry alone.
  if (cache_ && count > 0) {
    cache::CacheTier::Access cache(cache_.get());
    for (size_t i = 0; i < n; ++i) {
      if (!purged[i]) continue;
      cache.Invalidate(cache::KeyHash(ops[i].key), ops[i].key, versions[i]);
    }
  }
  stats_.Add(Counter::kTombstonesPurged, count);
  return count;
}

absl::StatusOr<uint64_t> Db::PurgeTombstones(uint64_t max_hlc,
                                             size_t max_records) {
  MutexLock l(&purge_mu_);
  uint64_t purged = 0;
  if (max_records == 0) return purged;
  // Nothing to walk for: the last lap left no tombstone behind and none was
  // written since it began.
  const uint64_t written = tombstones_written_.load(std::memory_order_acquire);
  if (purge_clean_ && written == purge_clean_at_) return purged;
  if (!purge_lap_open_) {
    purge_lap_open_ = true;
    purge_lap_start_ = written;
    purge_lap_left_ = 0;
  }
  if (sync_point_) sync_point_("purge:walk");
  // The walk is a cycle over the keys from the cursor: [cursor, end), then
  // [first key, cursor).
  struct Stretch {
    std::string from;
    std::optional<std::string> until;
  };
  std::vector<Stretch> stretches;
  stretches.push_back({purge_cursor_, std::nullopt});
  if (!purge_cursor_.empty()) stretches.push_back({"", purge_cursor_});
  for (const Stretch& stretch : stretches) {
    std::string from = stretch.from;
    for (;;) {
      PurgeCandidates candidates;
      const size_t want =
          std::min<uint64_t>(max_records - purged, kPurgeBatchRecords);
      if (absl::Status s =
              FindTombstones(from, stretch.until, max_hlc, want, &candidates);
          !s.ok()) {
        return s;
      }
      purge_lap_left_ += candidates.too_young;
      if (!candidates.keys.empty()) {
        if (sync_point_) sync_point_("purge:found");
        absl::StatusOr<uint64_t> n = CommitPurge(candidates);
        if (!n.ok()) return n.status();
        purged += *n;
        purge_lap_left_ += candidates.keys.size() - *n;  // lost a race
      }
      if (!candidates.resume.has_value()) break;  // the stretch is done
      from = std::move(*candidates.resume);
      if (purged == max_records) {
        purge_cursor_ = from;
        return purged;
      }
    }
    if (purged == max_records) {
      // Stopped exactly at the end of a stretch: the next call starts
      // where this stretch ends.
      purge_cursor_ = stretch.until.value_or("");
      return purged;
    }
  }
  // Every key was visited: the next walk starts from the first. The lap
  // (which began at or before this call) saw every key since it began; if
  // it left no tombstone, the walk can rest until the next one is written.
  purge_cursor_.clear();
  purge_lap_open_ = false;
  purge_clean_ = purge_lap_left_ == 0;
  purge_clean_at_ = purge_lap_start_;
  return purged;
}

}  // namespace cairn
