#include "engine/cache/segment_name.h"

#include <xxhash.h>

#include "absl/strings/str_format.h"

namespace cairn::cache {

std::string SegmentName(std::string_view canonical_db_path,
                        uint32_t instance_id) {
  const uint64_t h =
      XXH3_64bits(canonical_db_path.data(), canonical_db_path.size());
  return absl::StrFormat("/cairn-%016x-%u", h, instance_id);
}

}  // namespace cairn::cache
