// Orphan reclaim: removing cache segments whose database is gone.
//
// A database's segments outlive a clean close on purpose (warm restart), so
// a database directory deleted with `rm -rf` or shutil.rmtree would leave
// them in /dev/shm for good. A segment is an orphan, and is removed, when
//   - it is the effective user's own (the checks of ShmSegment::Attach:
//     owner, mode 0600, a regular file; anyone else's is never touched),
//   - its header is this build's layout and records its database's path,
//   - that path no longer exists, and
//   - no live process owns it (the header's owner pid is 0 or dead).
// A segment of a live database is never removed, even if its directory was
// deleted while it runs. Segments of other builds (another layout) are not
// recognised and left alone.
//
// Thread-safe; several processes may reclaim at once (removal of a name
// already gone is not an error).
#ifndef CAIRN_ENGINE_CACHE_SEGMENT_GC_H_
#define CAIRN_ENGINE_CACHE_SEGMENT_GC_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace cairn::cache {

struct ReclaimResult {
  uint32_t examined = 0;  // segments of this user looked at
  uint32_t removed = 0;   // orphans removed
};

// Examines at most `max_examined` of the effective user's segments (from a
// random starting point, so repeated bounded scans cover them all) and
// removes the orphans. Unavailable if /dev/shm cannot be listed.
[[nodiscard]] absl::StatusOr<ReclaimResult> ReclaimOrphanSegments(
    uint32_t max_examined);

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SEGMENT_GC_H_
