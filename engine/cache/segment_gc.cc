#include "engine/cache/segment_gc.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cache/segment_layout.h"
#include "engine/cache/segment_name.h"
#include "engine/cache/shm_lock.h"
#include "engine/cache/shm_segment.h"

namespace cairn::cache {
namespace {

// True if the segment `name` is an orphan (see segment_gc.h).
bool IsOrphan(const std::string& name) {
  alignas(SegmentHeader) char buf[sizeof(SegmentHeader)];
  uint64_t size = 0;
  if (!ShmSegment::ReadTrusted(name, buf, sizeof(buf), &size).ok()) {
    return false;
  }
  const SegmentHeader& h = *reinterpret_cast<const SegmentHeader*>(buf);
  if (h.magic != kSegmentMagic || h.layout_version != kLayoutVersion ||
      h.layout_hash != LayoutHash() || h.db_path_bytes == 0 ||
      h.db_path_bytes > kMaxDbPathBytes) {
    return false;
  }
  const std::string path(h.db_path, h.db_path_bytes);
  struct stat st;
  if (stat(path.c_str(), &st) == 0 || errno != ENOENT) return false;
  const pid_t owner = h.owner_pid.load(std::memory_order_relaxed);
  return owner == 0 || !ProcessAlive(owner);
}

}  // namespace

absl::StatusOr<ReclaimResult> ReclaimOrphanSegments(uint32_t max_examined) {
  const std::string prefix = UserSegmentPrefix().substr(1);
  std::vector<std::string> names;
  DIR* dir = opendir(kShmDir);
  if (dir == nullptr) {
    return absl::UnavailableError(
        absl::StrFormat("cannot list %s: %s", kShmDir, std::strerror(errno)));
  }
  while (dirent* e = readdir(dir)) {
    std::string_view n(e->d_name);
    if (n.size() > prefix.size() && n.substr(0, prefix.size()) == prefix) {
      std::string name = "/";
      name.append(n.data(), n.size());
      names.push_back(std::move(name));
    }
  }
  closedir(dir);
  ReclaimResult result;
  if (names.empty()) return result;
  const size_t start = std::random_device()() % names.size();
  for (size_t i = 0; i < names.size() && result.examined < max_examined; ++i) {
    const std::string& name = names[(start + i) % names.size()];
    ++result.examined;
    if (IsOrphan(name) && ShmSegment::Remove(name).ok()) ++result.removed;
  }
  return result;
}

}  // namespace cairn::cache
