#include "engine/cache/segment_layout.h"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "engine/cache/item.h"

namespace cairn::cache {

uint64_t LayoutHash() {
  const uint64_t parts[] = {
      kSegmentMagic,
      kLayoutVersion,
      kHeaderBytes,
      kSlotsPerBucket,
      kCapacityBytesPerSlot,
      kMinPageSize,
      kMaxPageSize,
      sizeof(Bucket),
      offsetof(Bucket, tag),
      offsetof(Bucket, referenced),
      sizeof(Stripe),
      sizeof(PageDesc),
      sizeof(Geometry),
      sizeof(AllocState),
      sizeof(SegmentHeader),
      offsetof(SegmentHeader, geometry),
      offsetof(SegmentHeader, saved_counters),
      offsetof(SegmentHeader, db_path),
      kMaxDbPathBytes,
      offsetof(SegmentHeader, checksum),
      kNumCounters,
      kItemHeaderBytes,
      kKeyLengthBits,
  };
  return XXH3_64bits(parts, sizeof(parts));
}

uint64_t HeaderChecksum(const SegmentHeader& h) {
  return XXH3_64bits(&h, offsetof(SegmentHeader, checksum));
}

absl::StatusOr<Geometry> ComputeGeometry(uint64_t capacity) {
  if (capacity < kMinCapacity || capacity > kMaxCapacity) {
    return absl::InvalidArgumentError(
        absl::StrFormat("cache capacity: expected %d..%d bytes, got %d",
                        kMinCapacity, kMaxCapacity, capacity));
  }
  Geometry g{};
  g.capacity = capacity;
  const uint64_t slots = capacity / kCapacityBytesPerSlot;
  g.num_buckets = static_cast<uint32_t>(
      std::max<uint64_t>(1, (slots + kSlotsPerBucket - 1) / kSlotsPerBucket));
  g.num_stripes = static_cast<uint32_t>(
      std::bit_floor(std::max<uint64_t>(16, g.num_buckets / 8)));
  g.index_offset = kHeaderBytes;
  g.stripes_offset = g.index_offset + uint64_t{g.num_buckets} * sizeof(Bucket);
  g.pages_offset = g.stripes_offset + uint64_t{g.num_stripes} * sizeof(Stripe);
  const uint64_t rest = capacity - std::min(capacity, g.pages_offset);
  g.page_size = static_cast<uint32_t>(
      std::clamp<uint64_t>(std::bit_floor(std::max<uint64_t>(1, rest / 32)),
                           kMinPageSize, kMaxPageSize));
  uint64_t pages = rest / (g.page_size + sizeof(PageDesc));
  auto data_offset = [&](uint64_t n) {
    const uint64_t end = g.pages_offset + n * sizeof(PageDesc);
    return (end + 4095) & ~uint64_t{4095};
  };
  while (pages > 0 && data_offset(pages) + pages * g.page_size > capacity) {
    --pages;
  }
  if (pages < 3) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cache capacity: %d bytes leaves %d data pages of %d bytes; need 3",
        capacity, pages, g.page_size));
  }
  g.num_pages = static_cast<uint32_t>(pages);
  g.data_offset = data_offset(pages);
  return g;
}

}  // namespace cairn::cache
