// SegmentName: the shared-memory names of a database's cache instances.
//
// Names are derived from the effective uid, the canonical database path and
// the instance id, so two databases never share a segment, two users never
// collide on the same path, and a reopened database finds its own. The path
// is hashed with XXH3 (stable across processes and builds), which keeps the
// name short enough for /dev/shm: "/cairn-<uid>-<16 hex>-<id>".
//
// A name another user squats (see shm_segment.h) is never adopted; the
// instance then lives under an alternate name with an unpredictable suffix,
// "/cairn-<uid>-<16 hex>-<id>.<16 hex>", found again by listing /dev/shm.
//
// Pure functions except ListSegments (reads /dev/shm); thread-safe.
#ifndef CAIRN_ENGINE_CACHE_SEGMENT_NAME_H_
#define CAIRN_ENGINE_CACHE_SEGMENT_NAME_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cache {

// Where POSIX shared-memory names live on Linux.
inline constexpr char kShmDir[] = "/dev/shm";

// The primary name of instance `instance_id` of the database at
// `canonical_db_path`, for the user `uid` (default: the effective uid).
std::string SegmentName(std::string_view canonical_db_path,
                        uint32_t instance_id);
std::string SegmentName(std::string_view canonical_db_path,
                        uint32_t instance_id, uid_t uid);

// A fresh alternate name for the same instance (random suffix).
std::string AlternateSegmentName(const std::string& primary);

// "/cairn-<euid>-": the prefix of every segment of the effective user.
std::string UserSegmentPrefix();

struct SegmentEntry {
  uint32_t instance_id;
  std::string name;  // with the leading '/'
};

// The effective user's segment names of the database at
// `canonical_db_path` present in /dev/shm, primary and alternate. Names
// only: nothing is opened, so an entry may be anyone's file.
std::vector<SegmentEntry> ListSegments(std::string_view canonical_db_path);

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SEGMENT_NAME_H_
