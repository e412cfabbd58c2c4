// ShmInstance: reads, version-guarded writes, eviction and stats. Opening
// and clean close are in shm_instance_open.cc.
#include "engine/cache/shm_instance.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cache/item.h"
#include "engine/cache/shm_lock.h"
#include "engine/cache/shm_segment.h"

namespace cairn::cache {

bool ShmInstance::Cacheable(size_t key_len, size_t value_len) const {
  return key_len <= kMaxKeyBytes && value_len <= config_.max_item_size &&
         value_len <= kMaxValueBytes &&
         ItemBytes(key_len, value_len) <= max_item_bytes_;
}

uint32_t ShmInstance::NowTicks() const {
  if (ttl_ticks_ == 0) return 0;
  const uint64_t now = config_.now_ms();
  const uint64_t base = header_->time_base_ms;
  if (now <= base) return 0;
  // Saturating: past 2^32 ticks, items look older and expire early.
  return static_cast<uint32_t>(
      std::min<uint64_t>((now - base) / tick_ms_, 0xffffffffu));
}

bool ShmInstance::Expired(uint32_t time) const {
  if (ttl_ticks_ == 0) return false;
  const uint32_t now = NowTicks();
  return now >= time && now - time >= ttl_ticks_;
}

void ShmInstance::Fail(const absl::Status& why) {
  MutexLock lock(&failure_mu_);
  if (!failed_.exchange(true)) failure_ = std::string(why.message());
}

void ShmInstance::RaiseFloor(uint32_t stripe, uint64_t hlc) {
  std::atomic<uint64_t>& floor = index_->stripe(stripe).floor_hlc;
  uint64_t cur = floor.load(std::memory_order_relaxed);
  while (cur < hlc &&
         !floor.compare_exchange_weak(cur, hlc, std::memory_order_relaxed)) {
  }
}

void ShmInstance::RemoveLocked(const SlotRef& ref, Counter why) {
  index_->Clear(ref);
  if (ref.item == 0) return;  // an implausible slot: nothing to account
  header_->items.fetch_sub(1, std::memory_order_relaxed);
  header_->live_bytes.fetch_sub(ref.meta.bytes(), std::memory_order_relaxed);
  // The floor belongs to the removed item's own stripe.
  thread_local std::string key;
  key.resize(ref.meta.key_len);
  LoadBytes(base_, ref.meta.key_pos(ref.item), key.data(), key.size());
  RaiseFloor(index_->Locate(key).stripe, ref.meta.version.hlc);
  if (why != kNumCounters) counters_.Add(why);
}

bool ShmInstance::GetAt(const KeyLoc& loc, std::string_view key,
                        ValueDest* value, Version* version, bool count_miss) {
  if (!Usable() || key.size() > kMaxKeyBytes) {
    if (count_miss) counters_.Add(kMisses);
    return false;
  }
  ItemMeta meta;
  SlotRef where;
  if (index_->Read(loc, key, value, &meta, &where) !=
      HashIndex::ReadResult::kHit) {
    if (count_miss) counters_.Add(kMisses);
    return false;
  }
  if (Expired(meta.time)) {
    counters_.Add(kExpirations);
    if (count_miss) counters_.Add(kMisses);
    return false;
  }
  index_->Touch(where);
  counters_.Add(kHits);
  if (version != nullptr) *version = meta.version;
  return true;
}

bool ShmInstance::Peek(std::string_view key, std::string* value,
                       Version* version) const {
  if (!Usable() || key.size() > kMaxKeyBytes) return false;
  const KeyLoc loc = index_->Locate(key);
  ItemMeta meta;
  SlotRef where;
  ValueDest dest(value);
  if (index_->Read(loc, key, value != nullptr ? &dest : nullptr, &meta,
                   &where) != HashIndex::ReadResult::kHit ||
      Expired(meta.time)) {
    return false;
  }
  if (version != nullptr) *version = meta.version;
  return true;
}

void ShmInstance::Update(std::string_view key, std::string_view value,
                         const Version& version) {
  Write(WriteKind::kUpdate, key, value, version, nullptr);
}

FillToken ShmInstance::BeginFill(std::string_view key) const {
  FillToken t;
  if (!Usable() || key.size() > kMaxKeyBytes) return t;
  t.stripe = index_->Locate(key).stripe;
  t.writes = index_->stripe(t.stripe).writes.load(std::memory_order_acquire);
  t.valid = true;
  return t;
}

bool ShmInstance::Fill(std::string_view key, std::string_view value,
                       const Version& version, const FillToken& token) {
  return Write(WriteKind::kFill, key, value, version, &token);
}

bool ShmInstance::Write(WriteKind kind, std::string_view key,
                        std::string_view value, const Version& version,
                        const FillToken* token) {
  const Counter rejected =
      kind == WriteKind::kFill ? kFillsRejected : kUpdatesRejected;
  if (!Usable()) return false;
  if (key.size() > kMaxKeyBytes) {
    counters_.Add(kBypassed);
    return false;  // never cached, so nothing to invalidate
  }
  const KeyLoc loc = index_->Locate(key);
  if (!Cacheable(key.size(), value.size())) {
    counters_.Add(kBypassed);
    if (kind == WriteKind::kUpdate) InvalidateAt(loc, key, version);
    return false;
  }
  if (kind == WriteKind::kFill &&
      (!token->valid || token->stripe != loc.stripe ||
       index_->stripe(loc.stripe).writes.load(std::memory_order_acquire) !=
           token->writes)) {
    counters_.Add(rejected);
    return false;
  }
  const uint64_t bytes = ItemBytes(key.size(), value.size());
  const std::optional<PageLog::Span> span =
      log_->Allocate(static_cast<uint32_t>(bytes));
  if (!span) {
    counters_.Add(rejected);
    if (kind == WriteKind::kUpdate) InvalidateAt(loc, key, version);
    return false;
  }
  StoreItem(base_, span->offset, key, value, version, NowTicks());
  const bool linked = Link(kind, loc, key, version, token, span->offset, bytes);
  log_->Unpin(span->page);
  counters_.Add(linked ? (kind == WriteKind::kFill ? kFills : kUpdates)
                       : rejected);
  return linked;
}

bool ShmInstance::Link(WriteKind kind, const KeyLoc& loc, std::string_view key,
                       const Version& version, const FillToken* token,
                       uint64_t item, uint64_t bytes) {
  if (absl::Status s = index_->LockPair(loc, config_.lock_timeout_ms,
                                        header_->owner_pid.load());
      !s.ok()) {
    Fail(s);
    return false;
  }
  Hook("write:locked");
  Stripe& stripe = index_->stripe(loc.stripe);
  bool allowed;
  if (kind == WriteKind::kUpdate) {
    stripe.writes.fetch_add(1, std::memory_order_relaxed);
    allowed = true;
  } else {
    allowed = stripe.writes.load(std::memory_order_relaxed) == token->writes;
  }
  bool linked = false;
  SlotRef cur;
  if (!allowed) {
  } else if (index_->Find(loc, key, &cur)) {
    const Version& old = cur.meta.version;
    const bool replace =
        old < version ||
        (kind == WriteKind::kFill && old == version && Expired(cur.meta.time));
    if (replace) {
      index_->Repoint(cur, item);
      header_->live_bytes.fetch_add(bytes, std::memory_order_relaxed);
      header_->live_bytes.fetch_sub(cur.meta.bytes(),
                                    std::memory_order_relaxed);
      linked = true;
    }
  } else if (kind == WriteKind::kFill ||
             version.hlc > stripe.floor_hlc.load(std::memory_order_relaxed)) {
    uint32_t b, s;
    if (!index_->FreeSlot(loc, &b, &s) &&
        !(displace_.load(std::memory_order_relaxed) &&
          index_->Displace(loc, &b, &s))) {
      const SlotRef victim = index_->ClockVictim(loc);
      RemoveLocked(victim, kEvictions);
      b = victim.bucket;
      s = victim.slot;
    }
    index_->Set(b, s, loc.tag, item);
    header_->items.fetch_add(1, std::memory_order_relaxed);
    header_->live_bytes.fetch_add(bytes, std::memory_order_relaxed);
    linked = true;
  }
  index_->UnlockPair(loc);
  return linked;
}

void ShmInstance::Invalidate(std::string_view key, const Version& version) {
  if (!Usable() || key.size() > kMaxKeyBytes) return;
  InvalidateAt(index_->Locate(key), key, version);
}

void ShmInstance::InvalidateAt(const KeyLoc& loc, std::string_view key,
                               const Version& version) {
  if (absl::Status s = index_->LockPair(loc, config_.lock_timeout_ms,
                                        header_->owner_pid.load());
      !s.ok()) {
    Fail(s);
    return;
  }
  Hook("write:locked");
  index_->stripe(loc.stripe).writes.fetch_add(1, std::memory_order_relaxed);
  RaiseFloor(loc.stripe, version.hlc);
  SlotRef cur;
  if (index_->Find(loc, key, &cur) && cur.meta.version <= version) {
    RemoveLocked(cur, kNumCounters);
  }
  counters_.Add(kInvalidations);
  index_->UnlockPair(loc);
}

bool ShmInstance::Erase(std::string_view key, const Version& version) {
  if (!Usable() || key.size() > kMaxKeyBytes) return false;
  const KeyLoc loc = index_->Locate(key);
  if (absl::Status s = index_->LockPair(loc, config_.lock_timeout_ms,
                                        header_->owner_pid.load());
      !s.ok()) {
    Fail(s);
    return false;
  }
  index_->stripe(loc.stripe).writes.fetch_add(1, std::memory_order_relaxed);
  SlotRef cur;
  const bool erase =
      index_->Find(loc, key, &cur) && cur.meta.version <= version;
  if (erase) RemoveLocked(cur, kErases);
  index_->UnlockPair(loc);
  return erase;
}

bool ShmInstance::BackData(uint64_t offset, uint64_t len) {
  return segment_->Back(offset, len, "back:page", config_.test_hook).ok();
}

bool ShmInstance::EvictPage(uint64_t begin, uint32_t used) {
  uint64_t budget = geo_.page_size / 2;  // second chances per evicted page
  thread_local std::string key;
  const uint64_t end = begin + used;
  for (uint64_t pos = begin; pos + kItemHeaderBytes <= end;) {
    const ItemMeta meta = LoadItemMeta(base_, pos);
    const uint64_t bytes = meta.bytes();
    if (pos + bytes > end) break;  // cannot happen in a sound segment
    key.resize(meta.key_len);
    LoadBytes(base_, meta.key_pos(pos), key.data(), key.size());
    const KeyLoc loc = index_->Locate(key);
    if (absl::Status s = index_->LockPair(loc, config_.lock_timeout_ms,
                                          header_->owner_pid.load());
        !s.ok()) {
      Fail(s);
      return false;
    }
    Hook("evict:locked");
    SlotRef cur;
    if (index_->FindItem(loc, pos, &cur)) {
      const bool expired = Expired(meta.time);
      std::optional<uint64_t> to;
      if (!expired && bytes <= budget && index_->Referenced(cur)) {
        to = log_->AllocateForRelocation(static_cast<uint32_t>(bytes));
      }
      if (to) {
        for (uint64_t w = 0; w < bytes; w += 8) {
          StoreWord(base_, *to + w, LoadWord(base_, pos + w));
        }
        index_->Repoint(cur, *to);
        index_->bucket(cur.bucket)
            .referenced.fetch_and(static_cast<uint16_t>(~(1u << cur.slot)),
                                  std::memory_order_relaxed);
        budget -= bytes;
      } else {
        RemoveLocked(cur, expired ? kExpirations : kEvictions);
      }
    }
    index_->UnlockPair(loc);
    pos += bytes;
  }
  return true;
}

void ShmInstance::ForEach(
    absl::FunctionRef<bool(std::string_view, std::string_view, const Version&)>
        fn) const {
  // Skips a bucket that stays busy (as documented: concurrent writes may or
  // may not be seen); stops when `fn` does.
  bool stopped = false;
  auto visit = [&](std::string_view k, std::string_view v, const Version& ver) {
    stopped = !fn(k, v, ver);
    return !stopped;
  };
  for (uint32_t b = 0; b < geo_.num_buckets && !stopped;) {
    const uint32_t reached = ForEachInBuckets(b, geo_.num_buckets, visit);
    b = reached + 1;
  }
}

uint32_t ShmInstance::ForEachInBuckets(
    uint32_t begin_bucket, uint32_t end_bucket,
    absl::FunctionRef<bool(std::string_view, std::string_view, const Version&)>
        fn) const {
  struct Entry {
    std::string key, value;
    ItemMeta meta;
  };
  std::vector<Entry> entries;
  end_bucket = std::min(end_bucket, geo_.num_buckets);
  for (uint32_t b = begin_bucket; b < end_bucket; ++b) {
    if (!Usable()) return end_bucket;
    const Bucket& bk = index_->bucket(b);
    bool consistent = false;
    for (int attempt = 0; attempt < 1000 && !consistent; ++attempt) {
      entries.clear();
      const uint32_t begin = SeqLock::ReadBegin(bk.seq);
      if ((begin & 1) != 0) {
        CpuRelax();
        continue;
      }
      for (uint32_t i = 0; i < kSlotsPerBucket; ++i) {
        SlotRef ref;
        if (bk.offset[i].load(std::memory_order_relaxed) == 0 ||
            !index_->LoadSlot(b, i, &ref)) {
          continue;
        }
        Entry& e = entries.emplace_back();
        e.meta = ref.meta;
        e.key.resize(ref.meta.key_len);
        LoadBytes(base_, ref.meta.key_pos(ref.item), e.key.data(),
                  e.key.size());
        e.value.resize(ref.meta.value_len);
        LoadBytes(base_, ref.meta.value_pos(ref.item), e.value.data(),
                  e.value.size());
      }
      consistent = SeqLock::ReadValidate(bk.seq, begin);
    }
    if (!consistent) return b;  // a writer kept it busy: visit it again
    for (const Entry& e : entries) {
      if (Expired(e.meta.time)) continue;
      if (!fn(e.key, e.value, e.meta.version)) return b;
    }
  }
  return end_bucket;
}

InstanceStats ShmInstance::Stats() const {
  InstanceStats s;
  s.capacity_bytes = geo_.capacity;
  s.used_bytes =
      geo_.data_offset + header_->data_used.load(std::memory_order_relaxed);
  s.live_bytes = header_->live_bytes.load(std::memory_order_relaxed);
  s.items = header_->items.load(std::memory_order_relaxed);
  s.page_size = geo_.page_size;
  s.max_item_bytes = max_item_bytes_;
  auto sum = [&](Counter c) { return counter_base_[c] + counters_.Sum(c); };
  s.hits = sum(kHits);
  s.misses = sum(kMisses);
  s.fills = sum(kFills);
  s.fill_rejected = sum(kFillsRejected);
  s.updates = sum(kUpdates);
  s.update_rejected = sum(kUpdatesRejected);
  s.invalidations = sum(kInvalidations);
  s.evictions = sum(kEvictions);
  s.expirations = sum(kExpirations);
  s.bypassed = sum(kBypassed);
  s.erases = sum(kErases);
  s.open_reason = open_reason_;
  s.open_detail = open_detail_;
  s.healthy = !failed_.load();
  if (!s.healthy) {
    MutexLock lock(&failure_mu_);
    s.failure = failure_;
  }
  return s;
}

}  // namespace cairn::cache
