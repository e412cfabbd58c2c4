// SegmentLayout: the bytes of a cache segment, as seen by every process.
//
//   [0, 4096)              SegmentHeader: identity, state, geometry,
//                          allocator state, counters saved at clean close
//   [index_offset, ...)    Bucket[num_buckets]: the hash index, 64 B each
//   [stripes_offset, ...)  Stripe[num_stripes]: per-stripe write counter and
//                          eviction floor (version guard state)
//   [pages_offset, ...)    PageDesc[num_pages]: the page log's descriptors
//   [data_offset, end)     num_pages pages of page_size bytes holding items
//
// Everything inside the segment is an offset from its base, never a pointer,
// and every field has a fixed size, so a segment is position independent.
// Any change to these structs or constants changes LayoutHash(), and a
// segment written by another build is rebuilt rather than reinterpreted.
//
// The geometry is a pure function of the capacity (ComputeGeometry), so the
// stored geometry is also checked against a recomputation on attach.
//
// Concurrency: the header's identity fields are written once at create time
// and at MarkClean, by the single owning process. Buckets are guarded by
// their own seqlock (shm_lock.h); stripes are atomics; page descriptors and
// the allocator state by the owning process's PageLog mutex.
#ifndef CAIRN_ENGINE_CACHE_SEGMENT_LAYOUT_H_
#define CAIRN_ENGINE_CACHE_SEGMENT_LAYOUT_H_

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"

namespace cairn::cache {

inline constexpr uint64_t kSegmentMagic = 0x4d48534e52494143ull;  // "CAIRNSHM"
inline constexpr uint32_t kLayoutVersion = 2;
inline constexpr uint64_t kHeaderBytes = 4096;
inline constexpr uint32_t kSlotsPerBucket = 11;
// Index sizing: one slot per this many bytes of capacity (a 16 B key + 100 B
// value item takes 136 B of data + ~6 B of index, so the index is ~90% full
// when the data pages are).
inline constexpr uint64_t kCapacityBytesPerSlot = 128;
inline constexpr uint64_t kMinCapacity = 64 << 10;
// Slots hold offsets in 8-byte units in 32 bits.
inline constexpr uint64_t kMaxCapacity = uint64_t{8} << 32;
inline constexpr uint32_t kMinPageSize = 4 << 10;
inline constexpr uint32_t kMaxPageSize = 1 << 20;
inline constexpr uint32_t kNoPage = 0xffffffffu;
// Longest database path a header records; a longer one is recorded as
// unknown, and its segments are never reclaimed as orphans.
inline constexpr uint32_t kMaxDbPathBytes = 2048;

// One cache line of the index: a seqlock word, 11 slots (item offset in
// 8-byte units, 0 = empty) with an 8-bit key fingerprint each, and one CLOCK
// reference bit per slot. A hit reads this line and the item.
struct alignas(64) Bucket {
  std::atomic<uint32_t> seq;  // odd while a writer holds the bucket
  std::atomic<uint32_t> offset[kSlotsPerBucket];
  std::atomic<uint8_t> tag[kSlotsPerBucket];
  uint8_t reserved0;
  std::atomic<uint16_t> referenced;
  uint16_t reserved1;
};
static_assert(sizeof(Bucket) == 64);
static_assert(std::atomic<uint32_t>::is_always_lock_free &&
              std::atomic<uint16_t>::is_always_lock_free &&
              std::atomic<uint8_t>::is_always_lock_free &&
              std::atomic<uint64_t>::is_always_lock_free);

// Version-guard state of a stripe of keys (chosen by key hash).
struct Stripe {
  // Bumped by every Update/Invalidate/Erase of a key in the stripe; a fill
  // whose token predates a bump is rejected.
  std::atomic<uint64_t> writes;
  // Highest HLC of any entry removed from the stripe (evicted, invalidated,
  // erased, expired). An update of an absent key at or below it is rejected:
  // a newer version of that key may have been cached and evicted.
  std::atomic<uint64_t> floor_hlc;
};
static_assert(sizeof(Stripe) == 16);

enum class PageState : uint32_t { kFree = 0, kHead = 1, kSealed = 2 };

struct PageDesc {
  uint32_t next;  // next page in the free list or the FIFO, or kNoPage
  uint32_t used;  // bytes carved from the start of the page
  std::atomic<uint32_t> pins;  // allocations not yet linked or abandoned
  uint32_t state;              // PageState
};
static_assert(sizeof(PageDesc) == 16);

struct Geometry {
  uint64_t capacity;
  uint32_t page_size;
  uint32_t num_pages;
  uint32_t num_buckets;
  uint32_t num_stripes;  // a power of two
  uint64_t index_offset;
  uint64_t stripes_offset;
  uint64_t pages_offset;
  uint64_t data_offset;

  friend bool operator==(const Geometry&, const Geometry&) = default;
};

// The page log's state: guarded by the owning process's PageLog mutex.
struct AllocState {
  uint32_t head;        // page receiving new items, or kNoPage
  uint32_t fifo_first;  // oldest sealed page, evicted first
  uint32_t fifo_last;
  uint32_t free_first;
  uint32_t free_count;
  uint32_t sealed_count;
};

// Counters that persist across a clean close (see InstanceStats).
enum Counter : uint32_t {
  kHits,
  kMisses,
  kFills,
  kFillsRejected,
  kUpdates,
  kUpdatesRejected,
  kInvalidations,
  kEvictions,
  kExpirations,
  kBypassed,
  kErases,
  kNumCounters,
};

enum class SegmentState : uint32_t {
  kCreating = 0,  // zero-filled memory reads as "creation interrupted"
  kDirty = 1,     // attached by a live owner, or its owner died
  kClean = 2,     // closed cleanly; contents match clean_sequence
};

struct SegmentHeader {
  uint64_t magic;
  uint32_t layout_version;
  uint32_t header_bytes;
  uint64_t layout_hash;
  std::atomic<uint32_t> state;  // SegmentState
  std::atomic<int32_t> owner_pid;
  int32_t last_owner_pid;
  uint32_t reserved0;
  uint64_t clean_sequence;  // LevelDB sequence at the last clean close
  uint64_t ring_epoch;      // ring epoch at the last clean close
  uint64_t ttl_ms;          // TTL the items' insert times are relative to
  uint64_t time_base_ms;    // clock value at creation; item times count from it
  Geometry geometry;
  AllocState alloc;
  std::atomic<uint64_t> items;
  std::atomic<uint64_t> live_bytes;  // bytes of linked items
  std::atomic<uint64_t> data_used;   // bytes carved from in-use pages
  uint64_t saved_counters[kNumCounters];
  // The canonical path of the database, written at creation: orphan
  // reclaim (segment_gc.h) removes a segment whose database is gone.
  uint32_t db_path_bytes;  // 0: unknown
  char db_path[kMaxDbPathBytes];
  uint64_t checksum;  // XXH3 of the header up to this field, set when clean
};
static_assert(sizeof(SegmentHeader) <= kHeaderBytes);

// Hash of every size and constant above: differs between incompatible builds.
uint64_t LayoutHash();

// Checksum over the header's fields that precede `checksum`.
uint64_t HeaderChecksum(const SegmentHeader& h);

// The layout for a segment of `capacity` bytes, or InvalidArgument if the
// capacity is outside [kMinCapacity, kMaxCapacity] or leaves fewer than three
// data pages.
[[nodiscard]] absl::StatusOr<Geometry> ComputeGeometry(uint64_t capacity);

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SEGMENT_LAYOUT_H_
