// KeyHash: the one hash that places a key, computed once per operation.
//
// XXH3 — stable across processes, builds and machines (never absl::Hash,
// which is seeded per process). The ring (engine/ring/ring.h) maps it to
// the owning cache instance.
//
// Pure function; thread-safe.
#ifndef CAIRN_ENGINE_CACHE_PLACEMENT_H_
#define CAIRN_ENGINE_CACHE_PLACEMENT_H_

#include <cstdint>
#include <string_view>

namespace cairn::cache {

uint64_t KeyHash(std::string_view key);

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_PLACEMENT_H_
