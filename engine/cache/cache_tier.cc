// CacheTier: opening, the per-operation Access, close. Changes and the
// migration are in cache_tier_migration.cc, properties in
// cache_tier_json.cc.
#include "engine/cache/cache_tier.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/segment_gc.h"
#include "engine/cache/segment_name.h"
#include "engine/cache/tier_route.h"
#include "engine/info_log.h"

namespace cairn::cache {
namespace {

// At most this many of the user's segments are examined for orphans at
// each open (segment_gc.h), so an open never pays for a crowded /dev/shm.
constexpr uint32_t kReclaimAtOpen = 32;

// The layout of a database opened with `options` for the first time (or
// with options that differ from those its saved layout was built for).
ring::Layout FreshLayout(const TierOptions& options, uint64_t epoch) {
  std::vector<ring::Member> members;
  const uint64_t per_instance = options.capacity_bytes / options.instances;
  for (uint32_t i = 0; i < options.instances; ++i) {
    members.push_back({i, per_instance});
  }
  ring::Layout layout;
  layout.epoch = epoch;
  layout.base_capacity_bytes = options.capacity_bytes;
  layout.base_instances = options.instances;
  layout.next_id = options.instances;
  layout.current = *ring::Ring::Create(std::move(members));
  return layout;
}

}  // namespace

CacheTier::CacheTier(const TierOptions& options, std::string db_path,
                     leveldb::Logger* log)
    : options_(options), db_path_(std::move(db_path)), log_(log) {
  if (options.admission == AdmissionPolicy::kSecondMiss) {
    const uint64_t window =
        options.admission_window != 0
            ? options.admission_window
            : 4 * (options.capacity_bytes / kCapacityBytesPerSlot);
    doorkeeper_ = std::make_unique<Doorkeeper>(window);
  }
}

absl::StatusOr<std::unique_ptr<CacheTier>> CacheTier::Open(
    const TierOptions& options, const std::string& canonical_db_path,
    uint64_t sequence, leveldb::Logger* log) {
  if (options.instances == 0 || options.instances > ring::kMaxMembers) {
    return absl::InvalidArgumentError(
        absl::StrCat("option cache.instances: must be 1..", ring::kMaxMembers));
  }
  const uint64_t per_instance = options.capacity_bytes / options.instances;
  if (per_instance < kMinInstanceBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options cache.capacity_mb and cache.instances: ",
        options.capacity_bytes, " bytes over ", options.instances,
        " instances leaves ", per_instance,
        " bytes per instance; the minimum is ", kMinInstanceBytes));
  }
  std::unique_ptr<CacheTier> tier(
      new CacheTier(options, canonical_db_path, log));
  if (absl::StatusOr<ReclaimResult> r = ReclaimOrphanSegments(kReclaimAtOpen);
      !r.ok()) {
    InfoLog(log, "cairn: orphan segment scan: %s",
            std::string(r.status().message()).c_str());
  } else if (r->removed > 0) {
    InfoLog(log, "cairn: removed %u orphaned cache segments", r->removed);
  }
  {
    MutexLock lock(&tier->change_mu_);
    ring::Layout& layout = tier->layout_;
    std::string why;
    uint64_t prior_epoch = 0;
    bool fresh = true;
    if (options.saved_layout.has_value()) {
      absl::StatusOr<ring::Layout> saved =
          ring::DecodeLayout(*options.saved_layout);
      if (!saved.ok()) {
        why = std::string(saved.status().message());
      } else if (saved->base_capacity_bytes != options.capacity_bytes ||
                 saved->base_instances != options.instances) {
        prior_epoch = saved->epoch;
        why = absl::StrCat(
            "cache.capacity_mb or cache.instances changed (the saved layout "
            "was built for ",
            saved->base_capacity_bytes >> 20, " MiB over ",
            saved->base_instances, " instances)");
      } else {
        layout = std::move(*saved);
        fresh = false;
      }
    }
    if (fresh) {
      layout = FreshLayout(options, prior_epoch + 1);
      if (!why.empty()) {
        InfoLog(log, "cairn: cache layout reset to epoch %llu: %s",
                static_cast<unsigned long long>(layout.epoch), why.c_str());
        tier->layout_note_ = "layout reset: " + why;
      }
      if (absl::Status s = tier->SaveLayout(); !s.ok()) {
        InfoLog(log, "cairn: cannot save the cache layout: %s",
                std::string(s.message()).c_str());
      }
    }
    tier->moved_lazy_ = layout.progress.moved_lazy;
    tier->moved_mover_ = layout.progress.moved_mover;
    tier->moved_transfer_ = layout.progress.moved_transfer;

    // Every instance of the current ring and, while migrating, the previous.
    std::vector<ring::Member> wanted = layout.current.members();
    if (layout.previous) {
      for (const ring::Member& m : layout.previous->members()) {
        if (layout.current.IndexOf(m.id) < 0) wanted.push_back(m);
      }
    }
    absl::flat_hash_set<uint32_t> ids;
    for (const ring::Member& m : wanted) ids.insert(m.id);
    // Segments of instances that are no longer in the layout would only
    // waste shared memory.
    for (const SegmentEntry& e : ListSegments(canonical_db_path)) {
      if (!ids.contains(e.instance_id)) (void)ShmInstance::Remove(e.name);
    }
    const uint64_t layout_id = ring::LayoutId(layout);
    for (const ring::Member& m : wanted) {
      (void)tier->OpenSlot(m.id, m.capacity_bytes, layout_id, sequence,
                           /*fresh=*/false);
    }
    tier->Publish();
    if (layout.migrating()) {
      InfoLog(log, "cairn: resuming cache migration from epoch %llu to %llu",
              static_cast<unsigned long long>(layout.epoch - 1),
              static_cast<unsigned long long>(layout.epoch));
      tier->ResetMover();
    }
  }
  tier->mover_ = std::thread([t = tier.get()] { t->MoverLoop(); });
  return tier;
}

absl::Status CacheTier::OpenSlot(uint32_t id, uint64_t capacity,
                                 uint64_t layout_id, uint64_t sequence,
                                 bool fresh) {
  auto slot = std::make_unique<Slot>();
  slot->segment_name = SegmentName(db_path_, id);
  slot->capacity_bytes = capacity;
  InstanceConfig config;
  config.segment_name = slot->segment_name;
  config.db_path = db_path_;
  for (const SegmentEntry& e : ListSegments(db_path_)) {
    if (e.instance_id != id || e.name == slot->segment_name) continue;
    if (fresh) {
      (void)ShmInstance::Remove(e.name);
    } else {
      config.alternate_names.push_back(e.name);
    }
  }
  config.capacity_bytes = capacity;
  config.max_item_size = options_.max_item_size;
  config.ttl_ms = options_.ttl_ms;
  config.lock_timeout_ms = options_.lock_timeout_ms;
  config.expected_sequence = sequence;
  config.now_ms = options_.now_ms;
  if (fresh) (void)ShmInstance::Remove(slot->segment_name);
  absl::StatusOr<std::unique_ptr<ShmInstance>> inst = ShmInstance::Open(config);
  if (inst.ok() && (*inst)->open_reason() == OpenReason::kWarm &&
      (*inst)->ring_epoch_at_open() != layout_id) {
    // Clean, but closed under another layout: some of its keys may belong
    // elsewhere now, so nothing in it can be trusted as the owner's.
    const std::string stale = (*inst)->segment_name();
    inst->reset();
    (void)ShmInstance::Remove(stale);
    inst = ShmInstance::Open(config);
    InfoLog(log_, "cairn: cache instance %u rebuilt: layout changed", id);
  }
  absl::Status status = inst.status();
  if (!inst.ok()) {
    slot->disabled_reason = std::string(inst.status().message());
    InfoLog(log_, "cairn: cache instance %u (%s) disabled: %s", id,
            slot->segment_name.c_str(), slot->disabled_reason.c_str());
  } else {
    slot->instance = std::move(*inst);
    slot->segment_name = slot->instance->segment_name();
    InfoLog(log_, "cairn: cache instance %u (%s, %llu bytes): %s", id,
            slot->segment_name.c_str(),
            static_cast<unsigned long long>(capacity),
            slot->instance->Stats().open_detail.c_str());
  }
  slots_[id] = std::move(slot);
  return status;
}

std::unique_ptr<CacheTier::Route> CacheTier::BuildRoute() const {
  auto route = std::make_unique<Route>();
  auto instances = [this](const ring::Ring& ring) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                       change_mu_) {
    std::vector<ShmInstance*> out;
    for (const ring::Member& m : ring.members()) {
      auto it = slots_.find(m.id);
      out.push_back(it == slots_.end() ? nullptr : it->second->instance.get());
    }
    return out;
  };
  route->current = layout_.current;
  route->cur = instances(route->current);
  if (layout_.previous) {
    route->previous = layout_.previous;
    route->prev = instances(*route->previous);
  }
  return route;
}

void CacheTier::Publish() {
  std::unique_ptr<Route> next = BuildRoute();
  lock_.WriterLock();
  const Route* old = route_;
  route_ = next.release();
  lock_.WriterUnlock();
  delete old;  // no Access holds it any more
}

absl::Status CacheTier::SaveLayout() {
  if (!options_.save_layout) return absl::OkStatus();
  layout_.progress.moved_lazy = moved_lazy_.load();
  layout_.progress.moved_mover = moved_mover_.load();
  layout_.progress.moved_transfer = moved_transfer_.load();
  return options_.save_layout(ring::EncodeLayout(layout_));
}

absl::Status CacheTier::RemoveSegments(const std::string& canonical_db_path) {
  absl::Status result;
  for (const SegmentEntry& e : ListSegments(canonical_db_path)) {
    absl::Status s = ShmInstance::Remove(e.name);
    // Another user's name under ours is not ours to remove, nor an error.
    if (!s.ok() && !absl::IsPermissionDenied(s) && result.ok()) result = s;
  }
  return result;
}

CacheTier::~CacheTier() {
  StopMover();
  lock_.WriterLock();
  delete route_;
  route_ = nullptr;
  lock_.WriterUnlock();
}

void CacheTier::Close(uint64_t sequence) {
  StopMover();
  SyncPoint("close:waiting");
  MutexLock lock(&change_mu_);
  if (closed_) return;
  closed_ = true;
  SyncPoint("close:locked");
  if (absl::Status s = SaveLayout(); !s.ok()) {
    InfoLog(log_, "cairn: cannot save the cache layout at close: %s",
            std::string(s.message()).c_str());
  }
  const uint64_t layout_id = ring::LayoutId(layout_);
  for (const auto& [id, slot] : slots_) {
    if (!slot->instance) continue;
    absl::Status s = slot->instance->MarkClean(sequence, layout_id);
    if (!s.ok()) {
      InfoLog(log_,
              "cairn: cache instance %u left dirty (rebuilt at next "
              "open): %s",
              id, std::string(s.message()).c_str());
    }
  }
}

// ---- Access ----

CacheTier::Access::Access(CacheTier* tier)
    : tier_(tier), slot_(tier->lock_.ReaderLock()), route_(tier->route_) {}

CacheTier::Access::~Access() { tier_->lock_.ReaderUnlock(slot_); }

bool CacheTier::Access::Get(uint64_t hash, std::string_view key,
                            ValueDest* value, Version* version) {
  ShmInstance* owner = route_->Owner(hash);
  ShmInstance* old = route_->PrevOwner(hash);
  if (old == owner) old = nullptr;
  if (old == nullptr) {
    return owner != nullptr && owner->Get(hash, key, value, version);
  }
  if (owner != nullptr && owner->Get(hash, key, value, version, false)) {
    return true;
  }
  // Lazy move: BeginFill at the owner before reading the previous owner, so
  // a write racing the move voids the fill. The whole value is needed for
  // the fill, whatever the caller's destination holds.
  FillToken token;
  if (owner != nullptr) token = owner->BeginFill(key);
  Version v;
  std::string moved;
  if (old->Get(key, &moved, &v, false)) {
    if (owner != nullptr) owner->Fill(key, moved, v, token);
    old->Erase(key, v);
    tier_->moved_lazy_.fetch_add(1, std::memory_order_relaxed);
    if (value != nullptr) value->Assign(moved);
    if (version != nullptr) *version = v;
    return true;
  }
  if (owner != nullptr) owner->CountMiss();
  return false;
}

void CacheTier::Access::GetBatch(size_t n, const uint64_t* hashes,
                                 const std::string_view* keys,
                                 ValueDest* values, Version* versions,
                                 bool* hit) {
  auto version_of = [versions](size_t i) {
    return versions != nullptr ? &versions[i] : nullptr;
  };
  if (route_->previous) {  // migrating: the lazy-move path, key by key
    for (size_t i = 0; i < n; ++i) {
      hit[i] = Get(hashes[i], keys[i], &values[i], version_of(i));
    }
    return;
  }
  // Three passes so the loads of different keys are in flight together:
  // the bucket lines, then the items they point to, then the reads (which
  // now mostly hit the CPU cache). Prefetches are hints; correctness rests
  // on the Get alone.
  constexpr size_t kWindow = 16;  // ~ the line-fill buffers of one core
  for (size_t begin = 0; begin < n; begin += kWindow) {
    const size_t end = std::min(n, begin + kWindow);
    ShmInstance* owners[kWindow];
    KeyLoc locs[kWindow];
    for (size_t i = begin; i < end; ++i) {
      ShmInstance* owner = route_->Owner(hashes[i]);
      owners[i - begin] = owner;
      if (owner != nullptr) {
        locs[i - begin] = owner->Locate(hashes[i]);
        owner->PrefetchBuckets(locs[i - begin]);
      }
    }
    for (size_t i = begin; i < end; ++i) {
      if (owners[i - begin] != nullptr) {
        owners[i - begin]->PrefetchItems(locs[i - begin]);
      }
    }
    for (size_t i = begin; i < end; ++i) {
      ShmInstance* owner = owners[i - begin];
      hit[i] = owner != nullptr && owner->GetAt(locs[i - begin], keys[i],
                                                &values[i], version_of(i));
    }
  }
}

CacheTier::FillHandle CacheTier::Access::BeginFill(uint64_t hash,
                                                   std::string_view key) {
  ShmInstance* owner = route_->Owner(hash);
  if (owner == nullptr) return {};
  if (tier_->doorkeeper_ != nullptr && !tier_->doorkeeper_->Admit(hash)) {
    FillHandle refused;
    refused.refused = true;
    return refused;
  }
  return {owner, owner->BeginFill(key)};
}

void CacheTier::Access::Fill(const FillHandle& h, std::string_view key,
                             std::string_view value, const Version& version) {
  tier_->admission_.Add(h.refused ? kRefused : kAdmitted);
  if (h.instance != nullptr) h.instance->Fill(key, value, version, h.token);
}

void CacheTier::Access::Update(uint64_t hash, std::string_view key,
                               std::string_view value, const Version& version) {
  ShmInstance* owner = route_->Owner(hash);
  // The previous owner first: it must never keep a copy older than this
  // write for a lazy move to bring back.
  ShmInstance* old = route_->PrevOwner(hash);
  if (old != nullptr && old != owner) old->Invalidate(key, version);
  if (owner != nullptr) owner->Update(key, value, version);
}

void CacheTier::Access::PrefetchBuckets(uint64_t hash) const {
  ShmInstance* owner = route_->Owner(hash);
  if (owner != nullptr) owner->PrefetchBuckets(owner->Locate(hash));
}

void CacheTier::Access::PrefetchItems(uint64_t hash) const {
  ShmInstance* owner = route_->Owner(hash);
  if (owner != nullptr) owner->PrefetchItems(owner->Locate(hash));
}

void CacheTier::Access::Invalidate(uint64_t hash, std::string_view key,
                                   const Version& version) {
  ShmInstance* owner = route_->Owner(hash);
  ShmInstance* old = route_->PrevOwner(hash);
  if (old != nullptr && old != owner) old->Invalidate(key, version);
  if (owner != nullptr) owner->Invalidate(key, version);
}

}  // namespace cairn::cache
