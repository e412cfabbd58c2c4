#include "engine/cache/placement.h"

#include <xxhash.h>

namespace cairn::cache {

uint64_t KeyHash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

uint64_t HashPlacement::LayoutId() const {
  // Kind of placement and instance count; never 0 (0 = no layout recorded).
  const uint64_t words[2] = {0x6861736870ull /* "hashp" */, n_};
  return XXH3_64bits(words, sizeof(words)) | 1;
}

}  // namespace cairn::cache
