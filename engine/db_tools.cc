// Db: what operators' tools need beyond the data path — integer properties
// (a counter without a JSON parser, as RocksDB's GetIntProperty) and manual
// compaction. Kept out of db.cc, which holds the read and write paths.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/db.h"
#include "engine/format.h"
#include "engine/strings.h"
#include "leveldb/db.h"

namespace cairn {
namespace {

constexpr std::string_view kStatsPrefix = "cairn.stats.";
constexpr std::string_view kCachePrefix = "cairn.cache.";

std::optional<uint64_t> CacheTotal(const cache::TierTotals& t,
                                   std::string_view field) {
  const std::pair<std::string_view, uint64_t> fields[] = {
      {"capacity_bytes", t.capacity_bytes},
      {"used_bytes", t.used_bytes},
      {"items", t.items},
      {"hits", t.hits},
      {"misses", t.misses},
      {"fills", t.fills},
      {"evictions", t.evictions},
      {"expirations", t.expirations},
  };
  for (const auto& [name, value] : fields) {
    if (name == field) return value;
  }
  return std::nullopt;
}

}  // namespace

// Names:
//   cairn.stats.<counter>  a counter of "cairn.stats" (puts, deletes,
//                          batches, batch_ops, gets, get_hits, get_misses,
//                          iterators_created, snapshots_created,
//                          bytes_written, bytes_read, write_errors,
//                          tombstones_purged), or
//                          last_sequence, oplog_first_sequence, node_id
//   cairn.cache.<total>    a cache total (capacity_bytes, used_bytes, items,
//                          hits, misses, fills, evictions, expirations);
//                          NotSupported when the cache is disabled
//   leveldb.<name>         a LevelDB property whose value is an integer
//                          (leveldb.num-files-at-level<N>,
//                          leveldb.approximate-memory-usage)
absl::StatusOr<uint64_t> Db::IntProperty(std::string_view name) {
  if (name.starts_with(kStatsPrefix)) {
    std::string_view field = name.substr(kStatsPrefix.size());
    for (int c = 0; c < static_cast<int>(Counter::kCount); ++c) {
      if (field == CounterName(static_cast<Counter>(c))) {
        return stats_.Get(static_cast<Counter>(c));
      }
    }
    if (field == "last_sequence") return LastSequence();
    if (field == "oplog_first_sequence") return OpLogFirstSequence();
    if (field == "node_id") return uint64_t{node_id_};
  } else if (name.starts_with(kCachePrefix)) {
    std::string_view field = name.substr(kCachePrefix.size());
    if (!cache_) {
      if (!CacheTotal({}, field).has_value()) {
        return absl::NotFoundError(
            absl::StrCat("unknown property '", AV(name), "'"));
      }
      return absl::UnimplementedError(
          absl::StrCat("property '", AV(name),
                       "': the cache is disabled (cache.capacity_mb=0)"));
    }
    if (std::optional<uint64_t> v = CacheTotal(cache_->Totals(), field)) {
      return *v;
    }
  } else if (name.starts_with("leveldb.")) {
    std::string value;
    if (!ldb_->GetProperty(std::string(name), &value)) {
      return absl::NotFoundError(
          absl::StrCat("unknown property '", AV(name), "'"));
    }
    uint64_t out = 0;
    if (!absl::SimpleAtoi(value, &out)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "property '", AV(name), "' is not an integer (use cairn_property)"));
    }
    return out;
  }
  return absl::NotFoundError(
      absl::StrCat("unknown integer property '", AV(name), "'"));
}

}  // namespace cairn
