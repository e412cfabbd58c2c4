// InstanceStats: a snapshot of one cache instance's usage and counters.
//
// Counters are kept per process (sharded, so hot-path counting does not
// bounce cache lines between threads), seeded from the segment on a warm
// attach and written back to it by MarkClean: they survive a clean restart
// and start from zero after a rebuild. Byte and item gauges live in the
// segment.
#ifndef CAIRN_ENGINE_CACHE_INSTANCE_STATS_H_
#define CAIRN_ENGINE_CACHE_INSTANCE_STATS_H_

#include <cstdint>
#include <string>

#include "engine/cache/instance_config.h"

namespace cairn::cache {

struct InstanceStats {
  uint64_t capacity_bytes = 0;  // segment size
  uint64_t used_bytes = 0;      // metadata + bytes carved from in-use pages
  uint64_t live_bytes = 0;      // bytes of items currently reachable
  uint64_t items = 0;
  uint64_t page_size = 0;
  uint64_t max_item_bytes = 0;  // largest cacheable key+value+header

  uint64_t hits = 0;
  uint64_t misses = 0;           // includes expired hits
  uint64_t fills = 0;            // fills that inserted
  uint64_t fill_rejected = 0;    // stale token, newer version present, no room
  uint64_t updates = 0;          // updates that inserted or replaced
  uint64_t update_rejected = 0;  // older than what is or was cached
  uint64_t invalidations = 0;
  uint64_t evictions = 0;
  uint64_t expirations = 0;
  uint64_t bypassed = 0;  // writes too large to cache
  uint64_t erases = 0;

  OpenReason open_reason = OpenReason::kCreated;
  std::string
      open_detail;      // e.g. "rebuilt: dirty (previous owner pid 42 died)"
  bool healthy = true;  // false after a lock timeout: serves only misses
  std::string failure;  // why not healthy
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_INSTANCE_STATS_H_
