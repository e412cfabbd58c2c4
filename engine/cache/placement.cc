#include "engine/cache/placement.h"

#include <xxhash.h>

namespace cairn::cache {

uint64_t KeyHash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

}  // namespace cairn::cache
