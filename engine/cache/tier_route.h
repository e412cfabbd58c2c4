// CacheTier::Route: the immutable routing state one cache operation uses —
// the current ring and its instances, and while a migration runs the
// previous ring and its instances. Published by CacheTier under its
// RouteLock; an instance pointer is null when that instance is disabled.
#ifndef CAIRN_ENGINE_CACHE_TIER_ROUTE_H_
#define CAIRN_ENGINE_CACHE_TIER_ROUTE_H_

#include <optional>
#include <vector>

#include "engine/cache/cache_tier.h"
#include "engine/ring/ring.h"

namespace cairn::cache {

struct CacheTier::Route {
  ring::Ring current;
  std::vector<ShmInstance*> cur;  // by member index of `current`
  std::optional<ring::Ring> previous;
  std::vector<ShmInstance*> prev;  // by member index of `previous`

  ShmInstance* Owner(uint64_t hash) const {
    return cur[current.IndexFor(hash)];
  }
  // The owner under the previous epoch; null when not migrating.
  ShmInstance* PrevOwner(uint64_t hash) const {
    return previous ? prev[previous->IndexFor(hash)] : nullptr;
  }
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_TIER_ROUTE_H_
