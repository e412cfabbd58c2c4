// Layout: the persisted state of a database's cache ring — the current
// epoch's ring, the previous epoch's while a migration runs, and migration
// progress. Stored in LevelDB metadata (Db) so a reopen finds the same
// layout and resumes an unfinished migration.
//
// The encoding is binary and checksummed:
//   "CRNG" format(u32)=1 epoch(u64) base_capacity(u64) base_instances(u32)
//   next_id(u32) has_previous(u8) progress(6 x u64) ring [ring]
//   xxh3(u64 of all bytes before)
// where ring = count(u32) {id(u32) capacity(u64)}* table(u16 x kBuckets),
// integers little endian. DecodeLayout treats its input as untrusted and
// returns DataLoss for anything malformed; it is fuzzed.
#ifndef CAIRN_ENGINE_RING_LAYOUT_H_
#define CAIRN_ENGINE_RING_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/ring/ring.h"

namespace cairn::ring {

struct MigrationProgress {
  uint64_t from_epoch = 0;      // the epoch being migrated away from
  uint64_t started_ms = 0;      // wall clock, ms since the Unix epoch; 0: never
  uint64_t finished_ms = 0;     // 0 while running
  uint64_t moved_lazy = 0;      // taken from the previous owner on a miss
  uint64_t moved_mover = 0;     // moved by the background mover
  uint64_t moved_transfer = 0;  // moved by cairn_cache_transfer
};

struct Layout {
  uint64_t epoch = 0;
  // The options the first epoch was built from; a reopen with other values
  // starts a fresh layout.
  uint64_t base_capacity_bytes = 0;
  uint32_t base_instances = 0;
  uint32_t next_id = 0;  // the id the next added instance gets
  Ring current;
  std::optional<Ring> previous;  // set while migrating from epoch - 1
  MigrationProgress progress;

  bool migrating() const { return previous.has_value(); }
};

std::string EncodeLayout(const Layout& layout);
[[nodiscard]] absl::StatusOr<Layout> DecodeLayout(std::string_view encoded);

// Names what cached items depend on: the epoch and the rings (not the
// progress counters). A clean segment is reattached only under the same id.
uint64_t LayoutId(const Layout& layout);

}  // namespace cairn::ring

#endif  // CAIRN_ENGINE_RING_LAYOUT_H_
