// CacheTier: online changes (add, remove, transfer) and the migration that
// follows each: the epoch switch, the background mover, the end.
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/cache/tier_route.h"
#include "engine/info_log.h"

namespace cairn::cache {
namespace {

// Index buckets one mover step walks before it yields.
constexpr uint32_t kStepBuckets = 32;

uint64_t WallMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Bytes free in /dev/shm; UINT64_MAX if it cannot be told.
uint64_t ShmBytesFree() {
  struct statvfs st;
  if (statvfs("/dev/shm", &st) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

absl::Status Closing() {
  return absl::UnavailableError(
      "the database is closing: cache instances cannot change");
}

}  // namespace

absl::StatusOr<uint32_t> CacheTier::AddInstance(uint64_t capacity_bytes) {
  SyncPoint("add:waiting");
  MutexLock lock(&change_mu_);
  if (closed_) return Closing();
  SyncPoint("add:locked");
  // Queue behind a running migration; the checks below see the result.
  if (absl::Status s = FinishLocked(); !s.ok()) return s;
  if (capacity_bytes < kMinInstanceBytes ||
      capacity_bytes > kMaxInstanceBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache instance capacity ", capacity_bytes,
                     " bytes is out of range: must be ", kMinInstanceBytes,
                     "..", kMaxInstanceBytes));
  }
  if (const uint64_t free = ShmBytesFree(); capacity_bytes > free) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache instance capacity ", capacity_bytes,
                     " bytes is larger than the shared memory available (",
                     free, " bytes free in /dev/shm)"));
  }
  if (layout_.current.members().size() >= ring::kMaxMembers) {
    // Not a resource the caller can free by waiting: the call is wrong.
    return absl::InvalidArgumentError(
        absl::StrCat("the cache already has ", ring::kMaxMembers,
                     " instances, the most it can have"));
  }
  const uint32_t id = layout_.next_id;
  auto drop = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    const std::string name = it->second->segment_name;
    slots_.erase(it);
    (void)ShmInstance::Remove(name);
  };
  if (absl::Status s = OpenSlot(id, capacity_bytes, 0, 0, /*fresh=*/true);
      !s.ok()) {
    drop();
    return absl::Status(s.code(), absl::StrCat("cannot create cache instance ",
                                               id, ": ", s.message()));
  }
  absl::StatusOr<ring::Ring> next =
      layout_.current.WithAdded({id, capacity_bytes});
  if (!next.ok()) {
    drop();
    return next.status();
  }
  layout_.next_id = id + 1;
  if (absl::Status s = BeginEpoch(std::move(*next)); !s.ok()) {
    layout_.next_id = id;
    drop();
    return s;
  }
  InfoLog(log_, "cairn: cache instance %u added (%llu bytes): epoch %llu", id,
          static_cast<unsigned long long>(capacity_bytes),
          static_cast<unsigned long long>(layout_.epoch));
  return id;
}

absl::Status CacheTier::RemoveInstance(uint32_t id) {
  MutexLock lock(&change_mu_);
  auto check = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_) {
    if (closed_) return Closing();
    if (layout_.current.IndexOf(id) < 0) {
      const bool leaving =
          layout_.previous && layout_.previous->IndexOf(id) >= 0;
      return absl::InvalidArgumentError(absl::StrCat(
          "cache instance ", id,
          leaving ? " is already being removed" : " does not exist"));
    }
    if (layout_.current.members().size() == 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot remove cache instance ", id,
          ": it is the last one (open with cache.capacity_mb=0 to run "
          "without a cache)"));
    }
    return absl::OkStatus();
  };
  // Refuse at once what is wrong now; then queue behind a running
  // migration, and check again what it (or a change meanwhile) left.
  if (absl::Status s = check(); !s.ok()) return s;
  if (absl::Status s = FinishLocked(); !s.ok()) return s;
  if (absl::Status s = check(); !s.ok()) return s;
  absl::StatusOr<ring::Ring> next = layout_.current.WithRemoved(id);
  if (!next.ok()) return next.status();
  if (absl::Status s = BeginEpoch(std::move(*next)); !s.ok()) return s;
  InfoLog(log_, "cairn: cache instance %u removed from the ring: epoch %llu",
          id, static_cast<unsigned long long>(layout_.epoch));
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> CacheTier::Transfer(uint32_t from, uint32_t to) {
  MutexLock lock(&change_mu_);
  if (closed_) return Closing();
  if (from == to) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot transfer cache instance ", from, " to itself"));
  }
  auto src_it = slots_.find(from);
  if (src_it == slots_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cache instance ", from, " does not exist"));
  }
  if (layout_.current.IndexOf(to) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cache instance ", to,
        slots_.contains(to) ? " is being removed" : " does not exist"));
  }
  ShmInstance* src = src_it->second->instance.get();
  if (src == nullptr) return uint64_t{0};  // disabled: holds nothing
  uint64_t moved = 0;
  for (uint32_t b = 0; b < src->num_buckets();) {
    // A busy bucket ends the chunk early; the next round starts from it.
    b = MoveWalk(
        src, b, b + 1024, [to](uint32_t owner) { return owner == to; }, &moved);
    std::this_thread::yield();
  }
  moved_transfer_.fetch_add(moved);
  InfoLog(log_, "cairn: cache transfer %u -> %u moved %llu items", from, to,
          static_cast<unsigned long long>(moved));
  return moved;
}

absl::Status CacheTier::FinishMigration() {
  MutexLock lock(&change_mu_);
  if (closed_) return Closing();
  return FinishLocked();
}

bool CacheTier::WaitMigrationEnd(absl::Time deadline) {
  MutexLock lock(&change_mu_);
  while (layout_.migrating() && !closed_) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    migration_ended_.WaitFor(&change_mu_, absl::ToChronoNanoseconds(std::min(
                                              left, absl::Seconds(3600))));
  }
  return !layout_.migrating();
}

absl::Status CacheTier::FinishLocked() {
  while (layout_.migrating() && !closed_) {
    StepLocked(1024);
    // Between steps, let properties, the mover and Close have the lock: a
    // drain of a large cache takes seconds. Whatever they changed, we return
    // holding the lock with no migration running (or closed).
    change_mu_.Unlock();
    std::this_thread::yield();
    change_mu_.Lock();
  }
  return closed_ ? Closing() : absl::OkStatus();
}

absl::Status CacheTier::BeginEpoch(ring::Ring next) {
  const ring::Layout before = layout_;
  layout_.previous = std::move(layout_.current);
  layout_.current = std::move(next);
  layout_.progress = ring::MigrationProgress();
  layout_.progress.from_epoch = layout_.epoch;
  layout_.progress.started_ms = WallMs();
  layout_.epoch += 1;
  moved_lazy_ = moved_mover_ = moved_transfer_ = 0;
  if (absl::Status s = SaveLayout(); !s.ok()) {
    layout_ = before;
    moved_lazy_ = before.progress.moved_lazy;
    moved_mover_ = before.progress.moved_mover;
    moved_transfer_ = before.progress.moved_transfer;
    return absl::Status(
        s.code(),
        absl::StrCat("cannot save the new cache layout: ", s.message()));
  }
  Publish();
  ResetMover();
  return absl::OkStatus();
}

void CacheTier::ResetMover() {
  sources_.clear();
  cursor_source_ = 0;
  cursor_bucket_ = 0;
  const ring::Ring& prev = *layout_.previous;
  const std::vector<uint32_t> lost = prev.BucketsLostTo(layout_.current);
  for (size_t i = 0; i < lost.size(); ++i) {
    if (lost[i] == 0) continue;
    const uint32_t id = prev.members()[i].id;
    sources_.push_back(id);
    auto it = slots_.find(id);
    if (it != slots_.end() && it->second->instance) {
      it->second->instance->SetDisplacement(false);
    }
  }
  {
    MutexLock lock(&mover_mu_);
    mover_work_ = true;
  }
  mover_cv_.Signal();
}

uint64_t CacheTier::StepLocked(uint32_t max_buckets) {
  if (!layout_.migrating()) return 0;
  uint64_t moved = 0;
  while (max_buckets > 0 && cursor_source_ < sources_.size()) {
    const uint32_t src_id = sources_[cursor_source_];
    auto it = slots_.find(src_id);
    ShmInstance* src =
        it == slots_.end() ? nullptr : it->second->instance.get();
    if (src == nullptr || cursor_bucket_ >= src->num_buckets()) {
      ++cursor_source_;
      cursor_bucket_ = 0;
      continue;
    }
    const uint32_t end =
        std::min(src->num_buckets(), cursor_bucket_ + max_buckets);
    const uint32_t reached = MoveWalk(
        src, cursor_bucket_, end,
        [src_id](uint32_t owner) { return owner != src_id; }, &moved);
    if (reached < end) {
      // A bucket stayed busy: walk it again at the next step. The walk must
      // be complete, or a misplaced copy could outlive the migration.
      cursor_bucket_ = reached;
      break;
    }
    max_buckets -= end - cursor_bucket_;
    cursor_bucket_ = end;
  }
  moved_mover_.fetch_add(moved);
  if (cursor_source_ >= sources_.size()) EndMigration();
  return moved;
}

uint32_t CacheTier::MoveWalk(ShmInstance* src, uint32_t begin, uint32_t end,
                             absl::FunctionRef<bool(uint32_t owner)> select,
                             uint64_t* moved) {
  const ring::Ring& ring = layout_.current;
  std::vector<std::string> keys;
  const uint32_t reached = src->ForEachInBuckets(
      begin, end, [&](std::string_view key, std::string_view, const Version&) {
        if (select(ring.OwnerId(KeyHash(key)))) keys.emplace_back(key);
        return true;
      });
  for (const std::string& key : keys) *moved += MoveOne(src, key) ? 1 : 0;
  return reached;
}

bool CacheTier::MoveOne(ShmInstance* src, std::string_view key) {
  Access access(this);
  ShmInstance* dst = access.route_->Owner(KeyHash(key));
  if (dst == src) return false;
  // As a lazy move: BeginFill at the owner before reading the source.
  FillToken token;
  if (dst != nullptr) token = dst->BeginFill(key);
  std::string value;
  Version version;
  if (!src->Peek(key, &value, &version)) {
    // Gone, expired, or its bucket too busy to read: either way `src` must
    // not keep a copy of a key it no longer owns. Erase whatever is there.
    src->Erase(key, Version{UINT64_MAX, UINT32_MAX});
    return false;
  }
  if (dst != nullptr) dst->Fill(key, value, version, token);
  src->Erase(key, version);
  return true;
}

void CacheTier::EndMigration() {
  const uint64_t from = layout_.progress.from_epoch;
  layout_.previous.reset();
  migration_ended_.SignalAll();
  layout_.progress.finished_ms = WallMs();
  sources_.clear();
  cursor_source_ = 0;
  cursor_bucket_ = 0;
  {
    MutexLock lock(&mover_mu_);
    mover_work_ = false;
  }
  if (absl::Status s = SaveLayout(); !s.ok()) {
    // The saved layout still says "migrating": the next open resumes a
    // migration with nothing left to move. Safe, just logged.
    InfoLog(log_, "cairn: cannot save the cache layout: %s",
            std::string(s.message()).c_str());
  }
  Publish();
  for (auto& [id, slot] : slots_) {
    if (slot->instance) slot->instance->SetDisplacement(true);
  }
  // No route names the removed instances any more: free them.
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (layout_.current.IndexOf(it->first) >= 0) {
      ++it;
      continue;
    }
    const uint32_t id = it->first;
    const std::string name = it->second->segment_name;
    slots_.erase(it++);
    (void)ShmInstance::Remove(name);
    InfoLog(log_, "cairn: cache instance %u drained and freed", id);
  }
  InfoLog(log_,
          "cairn: cache migration from epoch %llu to %llu finished: %llu "
          "moved lazily, %llu by the mover, %llu by transfer",
          static_cast<unsigned long long>(from),
          static_cast<unsigned long long>(layout_.epoch),
          static_cast<unsigned long long>(moved_lazy_.load()),
          static_cast<unsigned long long>(moved_mover_.load()),
          static_cast<unsigned long long>(moved_transfer_.load()));
}

void CacheTier::MoverLoop() {
  using Clock = std::chrono::steady_clock;
  const double rate =
      static_cast<double>(std::max<uint64_t>(1, options_.migration_rate));
  const double burst = std::max(rate / 10, 64.0);
  double tokens = burst;
  Clock::time_point last = Clock::now();
  for (;;) {
    {
      MutexLock lock(&mover_mu_);
      while (!mover_stop_ && !mover_work_) mover_cv_.Wait(&mover_mu_);
      if (mover_stop_) return;
      const Clock::time_point now = Clock::now();
      tokens = std::min(
          burst,
          tokens + rate * std::chrono::duration<double>(now - last).count());
      last = now;
      if (tokens < 1) {
        // Sleep until a token is due (at most 100 ms, to notice a stop).
        const double wait_s = std::min((1 - tokens) / rate, 0.1);
        mover_cv_.WaitFor(&mover_mu_, std::chrono::duration<double>(wait_s));
        continue;
      }
    }
    uint64_t moved;
    {
      MutexLock lock(&change_mu_);
      moved = StepLocked(kStepBuckets);
    }
    tokens -= static_cast<double>(moved);
    std::this_thread::yield();  // let a waiting change take change_mu_
  }
}

void CacheTier::StopMover() {
  {
    MutexLock lock(&mover_mu_);
    mover_stop_ = true;
  }
  mover_cv_.SignalAll();
  if (mover_.joinable()) mover_.join();
}

uint64_t CacheTier::RemainingEstimate() const {
  if (!layout_.migrating()) return 0;
  const ring::Ring& prev = *layout_.previous;
  const std::vector<uint32_t> owned = prev.BucketCounts();
  const std::vector<uint32_t> lost = prev.BucketsLostTo(layout_.current);
  double estimate = 0;
  for (size_t k = cursor_source_; k < sources_.size(); ++k) {
    auto it = slots_.find(sources_[k]);
    if (it == slots_.end() || !it->second->instance) continue;
    const ShmInstance& inst = *it->second->instance;
    const int p = prev.IndexOf(sources_[k]);
    if (p < 0 || owned[p] == 0) continue;
    double left = 1.0;
    if (k == cursor_source_ && inst.num_buckets() > 0) {
      left = 1.0 - static_cast<double>(cursor_bucket_) / inst.num_buckets();
    }
    estimate +=
        static_cast<double>(inst.Stats().items) * lost[p] / owned[p] * left;
  }
  return static_cast<uint64_t>(estimate);
}

}  // namespace cairn::cache
