// InstanceConfig and OpenReason: how a cache instance is opened, and what
// Open found.
//
// InstanceConfig is a plain value: copy it freely. Hooks (clock, test hook)
// are called from the threads that use the instance and must be thread-safe.
#ifndef CAIRN_ENGINE_CACHE_INSTANCE_CONFIG_H_
#define CAIRN_ENGINE_CACHE_INSTANCE_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cache {

struct InstanceConfig {
  // Shared-memory object name: "/" followed by up to 200 characters, no
  // other "/". Use SegmentName(). Required.
  std::string segment_name;
  // Alternate names this instance may live under (SegmentEntry names found
  // in /dev/shm), used when the primary name was squatted. A warm one is
  // reattached; the others of ours are removed.
  std::vector<std::string> alternate_names;
  // The canonical database path, recorded in the header so that orphan
  // reclaim (segment_gc.h) can tell when the database is gone. Empty: the
  // segment is never reclaimed as an orphan.
  std::string db_path;
  // Total bytes of the segment, index and metadata included; the segment
  // never grows beyond it. 64 KiB..32 GiB. Default 16 MiB.
  uint64_t capacity_bytes = 16ull << 20;
  // Values longer than this are not cached (Update invalidates instead).
  // Also bounded by the page size (capacity/32, 4 KiB..1 MiB) and 1 MiB-1;
  // keys longer than 4095 bytes are never cached. Default 1 MiB.
  uint64_t max_item_size = 1ull << 20;
  // Items expire this long after they were cached (fill or update); 0 means
  // never. Changing it discards a warm segment. Default 0.
  uint64_t ttl_ms = 0;
  // How long a writer waits for a bucket lock before declaring the instance
  // failed (it then serves only misses and is rebuilt at the next Open).
  // Default 1000.
  uint32_t lock_timeout_ms = 1000;
  // The LevelDB sequence the engine has at open. A clean segment is reused
  // only if it was closed at exactly this sequence.
  uint64_t expected_sequence = 0;
  // Milliseconds from a clock that is shared by all processes on this
  // machine and never goes backwards; used for TTL. Default (null):
  // CLOCK_MONOTONIC.
  std::function<uint64_t()> now_ms;
  // Tests only: called at named points ("create:opened", "create:reserve",
  // "create:formatting", "write:locked", "evict:locked"). A nonzero return
  // at "create:reserve" simulates that errno from posix_fallocate.
  std::function<int(std::string_view point)> test_hook;
};

// Why Open produced the segment it did.
enum class OpenReason {
  kCreated,                // no segment existed
  kWarm,                   // reattached a clean, matching segment
  kRebuiltDirty,           // previous owner crashed or is still running
  kRebuiltInterrupted,     // a previous creation never finished
  kRebuiltLayoutMismatch,  // another build's layout, or corrupt header
  kRebuiltCapacityChanged,
  kRebuiltTtlChanged,
  kRebuiltSequenceMismatch,  // LevelDB moved on since the clean close
  kRebuiltForeign,           // not a Cairn segment, or truncated
  kRebuiltCorrupt,           // header fine, structures failed validation
  kRebuiltUntrusted,  // the name held a segment we refuse (shm_segment.h)
};

// "created", "warm", "rebuilt: dirty", ...
std::string_view OpenReasonName(OpenReason reason);

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_INSTANCE_CONFIG_H_
