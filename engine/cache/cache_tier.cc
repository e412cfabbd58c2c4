#include "engine/cache/cache_tier.h"

#include <dirent.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/segment_name.h"
#include "engine/info_log.h"
#include "nlohmann/json.hpp"

namespace cairn::cache {
namespace {

// "/cairn-<hash>-" for a database: SegmentName without the instance id.
std::string SegmentPrefix(const std::string& canonical_db_path) {
  std::string name = SegmentName(canonical_db_path, 0);
  return name.substr(0, name.size() - 1);
}

// Instance ids of this database's segments present in /dev/shm.
std::vector<uint32_t> ExistingSegmentIds(const std::string& canonical_db_path) {
  std::vector<uint32_t> ids;
  std::string prefix = SegmentPrefix(canonical_db_path).substr(1);
  DIR* dir = opendir("/dev/shm");
  if (dir == nullptr) return ids;
  while (dirent* e = readdir(dir)) {
    std::string_view name(e->d_name);
    if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) {
      continue;
    }
    std::string_view id = name.substr(prefix.size());
    uint32_t n = 0;
    bool digits = !id.empty() && id.size() <= 9;
    for (char c : id) {
      if (c < '0' || c > '9') digits = false;
      n = n * 10 + static_cast<uint32_t>(c - '0');
    }
    if (digits) ids.push_back(n);
  }
  closedir(dir);
  return ids;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CacheTier>> CacheTier::Open(
    const TierOptions& options, const std::string& canonical_db_path,
    uint64_t sequence, leveldb::Logger* log) {
  if (options.instances == 0) {
    return absl::InvalidArgumentError("option cache.instances: must be >= 1");
  }
  uint64_t per_instance = options.capacity_bytes / options.instances;
  if (per_instance < kMinInstanceBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "options cache.capacity_mb and cache.instances: ",
        options.capacity_bytes, " bytes over ", options.instances,
        " instances leaves ", per_instance,
        " bytes per instance; the minimum is ", kMinInstanceBytes));
  }
  auto placement = std::make_unique<HashPlacement>(options.instances);
  const uint64_t layout = placement->LayoutId();
  std::unique_ptr<CacheTier> tier(new CacheTier(options, std::move(placement)));
  tier->log_ = log;
  tier->slots_.resize(options.instances);

  // Segments of instances that no longer exist (fewer instances than last
  // time) would only waste shared memory.
  for (uint32_t id : ExistingSegmentIds(canonical_db_path)) {
    if (id >= options.instances) {
      (void)ShmInstance::Remove(SegmentName(canonical_db_path, id));
    }
  }

  for (uint32_t i = 0; i < options.instances; ++i) {
    Slot& slot = tier->slots_[i];
    slot.segment_name = SegmentName(canonical_db_path, i);
    slot.capacity_bytes = per_instance;
    InstanceConfig config;
    config.segment_name = slot.segment_name;
    config.capacity_bytes = per_instance;
    config.max_item_size = options.max_item_size;
    config.ttl_ms = options.ttl_ms;
    config.lock_timeout_ms = options.lock_timeout_ms;
    config.expected_sequence = sequence;
    absl::StatusOr<std::unique_ptr<ShmInstance>> inst =
        ShmInstance::Open(config);
    if (inst.ok() && (*inst)->open_reason() == OpenReason::kWarm &&
        (*inst)->ring_epoch_at_open() != layout) {
      // Clean, but its keys were placed by another layout: some of them now
      // belong elsewhere, so nothing in it can be trusted as the owner's.
      inst->reset();
      (void)ShmInstance::Remove(slot.segment_name);
      inst = ShmInstance::Open(config);
      slot.disabled_reason.clear();
      InfoLog(log, "cairn: cache instance %u rebuilt: placement changed", i);
    }
    if (!inst.ok()) {
      slot.disabled_reason = std::string(inst.status().message());
      InfoLog(log, "cairn: cache instance %u (%s) disabled: %s", i,
              slot.segment_name.c_str(), slot.disabled_reason.c_str());
      continue;
    }
    slot.instance = std::move(*inst);
    InstanceStats st = slot.instance->Stats();
    InfoLog(log, "cairn: cache instance %u (%s, %llu bytes): %s", i,
            slot.segment_name.c_str(),
            static_cast<unsigned long long>(per_instance),
            st.open_detail.c_str());
  }
  return tier;
}

absl::Status CacheTier::RemoveSegments(const std::string& canonical_db_path) {
  absl::Status result;
  for (uint32_t id : ExistingSegmentIds(canonical_db_path)) {
    absl::Status s = ShmInstance::Remove(SegmentName(canonical_db_path, id));
    if (!s.ok() && result.ok()) result = s;
  }
  return result;
}

CacheTier::~CacheTier() = default;

void CacheTier::Close(uint64_t sequence) {
  if (closed_) return;
  closed_ = true;
  const uint64_t layout = placement_->LayoutId();
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i].instance) continue;
    absl::Status s = slots_[i].instance->MarkClean(sequence, layout);
    if (!s.ok()) {
      InfoLog(log_, "cairn: cache instance %zu left dirty (rebuilt at next "
                    "open): %s",
              i, std::string(s.message()).c_str());
    }
  }
}

TierTotals CacheTier::Totals() const {
  TierTotals t;
  for (const Slot& slot : slots_) {
    if (!slot.instance) continue;
    InstanceStats s = slot.instance->Stats();
    t.capacity_bytes += s.capacity_bytes;
    t.used_bytes += s.used_bytes;
    t.items += s.items;
    t.hits += s.hits;
    t.misses += s.misses;
    t.fills += s.fills;
    t.evictions += s.evictions;
    t.expirations += s.expirations;
  }
  return t;
}

std::string CacheTier::PropertyJson() const {
  nlohmann::ordered_json j;
  j["enabled"] = true;
  j["placement"] = "hash";
  j["layout_id"] = placement_->LayoutId();
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  nlohmann::ordered_json total;
  uint64_t cap = 0, used = 0, items = 0, hits = 0, misses = 0, fills = 0,
           evictions = 0, expirations = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    nlohmann::ordered_json e;
    e["id"] = i;
    e["segment"] = slot.segment_name;
    if (!slot.instance) {
      e["state"] = "disabled";
      e["reason"] = slot.disabled_reason;
      e["capacity_bytes"] = 0;
      list.push_back(e);
      continue;
    }
    InstanceStats s = slot.instance->Stats();
    e["state"] = s.healthy ? "ok" : "failed";
    e["open"] = std::string(OpenReasonName(s.open_reason));
    e["open_detail"] = s.open_detail;
    if (!s.healthy) e["failure"] = s.failure;
    e["capacity_bytes"] = s.capacity_bytes;
    e["used_bytes"] = s.used_bytes;
    e["live_bytes"] = s.live_bytes;
    e["items"] = s.items;
    e["hits"] = s.hits;
    e["misses"] = s.misses;
    e["fills"] = s.fills;
    e["fill_rejected"] = s.fill_rejected;
    e["updates"] = s.updates;
    e["update_rejected"] = s.update_rejected;
    e["invalidations"] = s.invalidations;
    e["evictions"] = s.evictions;
    e["expirations"] = s.expirations;
    e["bypassed"] = s.bypassed;
    list.push_back(e);
    cap += s.capacity_bytes;
    used += s.used_bytes;
    items += s.items;
    hits += s.hits;
    misses += s.misses;
    fills += s.fills;
    evictions += s.evictions;
    expirations += s.expirations;
  }
  total["capacity_bytes"] = cap;
  total["used_bytes"] = used;
  total["items"] = items;
  total["hits"] = hits;
  total["misses"] = misses;
  total["hit_ratio"] =
      hits + misses == 0 ? 0.0 : static_cast<double>(hits) / (hits + misses);
  total["fills"] = fills;
  total["evictions"] = evictions;
  total["expirations"] = expirations;
  j["total"] = total;
  j["instances"] = list;
  return j.dump();
}

}  // namespace cairn::cache
