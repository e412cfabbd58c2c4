// SegmentName: the shared-memory name of one cache instance.
//
// Names are derived from the canonical database path and the instance id,
// so two databases never share a segment and a reopened database finds its
// own. The path is hashed with XXH3 (stable across processes and builds),
// which keeps the name short enough for /dev/shm: "/cairn-<16 hex>-<id>".
//
// Pure function; thread-safe.
#ifndef CAIRN_ENGINE_CACHE_SEGMENT_NAME_H_
#define CAIRN_ENGINE_CACHE_SEGMENT_NAME_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::cache {

std::string SegmentName(std::string_view canonical_db_path,
                        uint32_t instance_id);

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SEGMENT_NAME_H_
