// CacheTier: the walk Db::Check uses to compare every cached item with
// LevelDB.
#include "engine/cache/cache_tier.h"

namespace cairn::cache {

void CacheTier::ForEachItem(
    absl::FunctionRef<bool(uint32_t instance_id, std::string_view key,
                           std::string_view value, const Version& version)>
        fn) {
  MutexLock lock(&change_mu_);
  if (closed_) return;
  bool go_on = true;
  for (const auto& [id, slot] : slots_) {
    if (!go_on) break;
    if (slot->instance == nullptr) continue;
    const uint32_t instance_id = id;
    slot->instance->ForEach([&](std::string_view key, std::string_view value,
                                const Version& version) {
      go_on = fn(instance_id, key, value, version);
      return go_on;
    });
  }
}

}  // namespace cairn::cache
