// CacheTier: totals and the "cairn.cache" / "cairn.migration" properties.
#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "nlohmann/json.hpp"

namespace cairn::cache {
namespace {

// Share of the buckets each member id owns in `ring`.
double ShareOf(const ring::Ring& ring, uint32_t id,
               const std::vector<uint32_t>& counts) {
  const int i = ring.IndexOf(id);
  return i < 0 ? 0.0 : static_cast<double>(counts[i]) / ring::kBuckets;
}

void Accumulate(TierTotals* t, const InstanceStats& s) {
  t->capacity_bytes += s.capacity_bytes;
  t->used_bytes += s.used_bytes;
  t->items += s.items;
  t->hits += s.hits;
  t->misses += s.misses;
  t->fills += s.fills;
  t->evictions += s.evictions;
  t->expirations += s.expirations;
}

}  // namespace

TierTotals CacheTier::Totals() const {
  MutexLock lock(&change_mu_);
  TierTotals t;
  for (const auto& [id, slot] : slots_) {
    if (slot->instance) Accumulate(&t, slot->instance->Stats());
  }
  return t;
}

std::string CacheTier::PropertyJson() const {
  MutexLock lock(&change_mu_);
  nlohmann::ordered_json j;
  j["enabled"] = true;
  j["placement"] = "ring";
  j["epoch"] = layout_.epoch;
  j["layout_id"] = ring::LayoutId(layout_);
  j["migrating"] = layout_.migrating();
  if (!layout_note_.empty()) j["layout_note"] = layout_note_;
  const std::vector<uint32_t> counts = layout_.current.BucketCounts();
  std::vector<uint32_t> prev_counts;
  if (layout_.previous) prev_counts = layout_.previous->BucketCounts();

  // Members of the current ring in ring order, then those being removed.
  std::vector<uint32_t> order;
  for (const ring::Member& m : layout_.current.members()) order.push_back(m.id);
  if (layout_.previous) {
    for (const ring::Member& m : layout_.previous->members()) {
      if (layout_.current.IndexOf(m.id) < 0) order.push_back(m.id);
    }
  }
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  TierTotals total;
  for (uint32_t id : order) {
    auto it = slots_.find(id);
    if (it == slots_.end()) continue;
    const Slot& slot = *it->second;
    nlohmann::ordered_json e;
    e["id"] = id;
    e["segment"] = slot.segment_name;
    e["role"] = layout_.current.IndexOf(id) >= 0 ? "member" : "draining";
    e["share"] = ShareOf(layout_.current, id, counts);
    if (layout_.previous) {
      e["previous_share"] = ShareOf(*layout_.previous, id, prev_counts);
    }
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
    e["page_size"] = s.page_size;
    e["max_item_bytes"] = s.max_item_bytes;
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
    e["erases"] = s.erases;
    e["evictions"] = s.evictions;
    e["expirations"] = s.expirations;
    e["bypassed"] = s.bypassed;
    list.push_back(e);
    Accumulate(&total, s);
  }
  nlohmann::ordered_json t;
  t["capacity_bytes"] = total.capacity_bytes;
  t["used_bytes"] = total.used_bytes;
  t["items"] = total.items;
  t["hits"] = total.hits;
  t["misses"] = total.misses;
  t["hit_ratio"] = total.hits + total.misses == 0
                       ? 0.0
                       : static_cast<double>(total.hits) /
                             static_cast<double>(total.hits + total.misses);
  t["fills"] = total.fills;
  t["evictions"] = total.evictions;
  t["expirations"] = total.expirations;
  j["total"] = t;
  nlohmann::ordered_json a;
  a["policy"] = std::string(AdmissionPolicyName(options_.admission));
  a["admitted"] = admission_.Sum(kAdmitted);
  a["refused"] = admission_.Sum(kRefused);
  if (doorkeeper_ != nullptr) {
    a["window_keys"] = doorkeeper_->window();
    a["filter_bytes"] = doorkeeper_->bytes();
    a["window_resets"] = doorkeeper_->resets();
  }
  j["admission"] = a;
  j["instances"] = list;
  return j.dump();
}

std::string CacheTier::MigrationJson() const {
  MutexLock lock(&change_mu_);
  nlohmann::ordered_json j;
  const ring::MigrationProgress& p = layout_.progress;
  j["state"] = layout_.migrating() ? "migrating" : "stable";
  j["epoch"] = layout_.epoch;
  if (p.started_ms != 0) {
    j["from_epoch"] = p.from_epoch;
    j["to_epoch"] = p.from_epoch + 1;
  }
  nlohmann::ordered_json ids = nlohmann::ordered_json::array();
  for (const ring::Member& m : layout_.current.members()) ids.push_back(m.id);
  j["instances"] = ids;
  if (layout_.previous) {
    nlohmann::ordered_json prev = nlohmann::ordered_json::array();
    for (const ring::Member& m : layout_.previous->members()) {
      prev.push_back(m.id);
    }
    j["previous_instances"] = prev;
    nlohmann::ordered_json src = nlohmann::ordered_json::array();
    for (uint32_t id : sources_) src.push_back(id);
    j["sources"] = src;
    j["sources_done"] = cursor_source_;
  }
  const uint64_t lazy = moved_lazy_.load(), mover = moved_mover_.load(),
                 transfer = moved_transfer_.load();
  j["moved_lazy"] = lazy;
  j["moved_mover"] = mover;
  j["moved_transfer"] = transfer;
  j["moved_total"] = lazy + mover + transfer;
  j["remaining_estimate"] = RemainingEstimate();
  j["rate_items_per_sec"] = options_.migration_rate;
  j["started_ms"] = p.started_ms;
  j["finished_ms"] = layout_.migrating() ? 0 : p.finished_ms;
  return j.dump();
}

}  // namespace cairn::cache
