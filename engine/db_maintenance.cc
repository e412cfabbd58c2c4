// Db maintenance: compaction, size estimates and repair.
//
// User keys live in the data key space ('d' + key, see format.h), so a
// user range [begin, end) maps to the LevelDB range [DataKey(begin),
// DataKey(end)); an open end maps to the end of the data key space.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/db.h"
#include "engine/db_lock.h"
#include "engine/format.h"
#include "engine/status.h"
#include "leveldb/db.h"
#include "leveldb/options.h"

namespace cairn {
namespace {

// The first key after the data key space.
std::string DataSpaceEnd() { return std::string(1, kDataPrefix + 1); }

}  // namespace

absl::Status Db::CompactRange(std::optional<std::string_view> begin,
                              std::optional<std::string_view> end) {
  if (begin && end && *begin > *end) {
    return absl::InvalidArgumentError(
        absl::StrCat("compact_range: start (", begin->size(),
                     " bytes) sorts after stop (", end->size(), " bytes)"));
  }
  if (!begin && !end) {
    ldb_->CompactRange(nullptr, nullptr);
    return absl::OkStatus();
  }
  const std::string lo = begin ? DataKey(*begin) : std::string(1, kDataPrefix);
  const std::string hi = end ? DataKey(*end) : DataSpaceEnd();
  const leveldb::Slice lo_slice(lo);
  const leveldb::Slice hi_slice(hi);
  ldb_->CompactRange(&lo_slice, &hi_slice);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> Db::ApproximateSizes(
    const std::vector<KeyRange>& ranges) {
  std::vector<std::string> keys;
  keys.reserve(2 * ranges.size());
  for (const KeyRange& r : ranges) {
    keys.push_back(DataKey(r.begin));
    keys.push_back(DataKey(r.end));
  }
  std::vector<leveldb::Range> lranges;
  lranges.reserve(ranges.size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    lranges.emplace_back(keys[2 * i], keys[2 * i + 1]);
  }
  std::vector<uint64_t> sizes(ranges.size(), 0);
  if (!ranges.empty()) {
    ldb_->GetApproximateSizes(lranges.data(), static_cast<int>(lranges.size()),
                              sizes.data());
  }
  // LevelDB reports a reversed range's size as the difference of two
  // offsets, wrapped; an empty or reversed range holds nothing.
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].begin >= ranges[i].end) sizes[i] = 0;
  }
  return sizes;
}

absl::Status Db::Repair(const Options& options, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("database path is empty");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("repair: database '", path, "' does not exist"));
    }
    return IoError(absl::StrCat("repair: cannot access database path '", path,
                                "': ", strerror(err)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("repair: database path '", path, "' is not a directory"));
  }
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    int err = errno;
    return IoError(absl::StrCat("repair: cannot resolve database path '", path,
                                "': ", strerror(err)));
  }
  const std::string canonical(resolved);
  free(resolved);
  // Held across the repair and the cache reset: nobody opens the database
  // half-repaired, or attaches segments about to be removed.
  absl::StatusOr<std::unique_ptr<DbLock>> lock = DbLock::Acquire(canonical);
  if (!lock.ok()) return lock.status();

  leveldb::Options lo;
  lo.block_size = options.block_size;
  lo.compression = options.compression == "snappy" ? leveldb::kSnappyCompression
                                                   : leveldb::kNoCompression;
  leveldb::Status s = leveldb::RepairDB(canonical, lo);
  if (!s.ok()) {
    return FromLevelDB(s, absl::StrCat("repair: '", canonical, "'"));
  }
  // The segments may hold values the repair could not recover (or older
  // ones than it found): the next open starts a cold cache from LevelDB.
  return cache::CacheTier::RemoveSegments(canonical);
}

}  // namespace cairn
