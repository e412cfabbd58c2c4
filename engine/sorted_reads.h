// ReadRecordsSorted: the stored records of many keys at one LevelDB view,
// for readers that need a value per op-log entry (OpLog::ReadBatches).
//
// The keys are visited in sorted order with one iterator. A key a few
// entries after the previous one is reached with Next(), a fraction of the
// cost of a Get (no table-cache lookups, no index search, usually the same
// block): keys written in order, by an appender or a bulk load, are read
// almost sequentially. When the keys turn out scattered (more than a
// quarter of the first kProbeKeys needed a Seek, which on a merging
// iterator costs more than a Get), the rest are read with Get, which the
// bloom filters make cheap for scattered keys.
//
// Thread-safe: a pure function of the database and the view.
#ifndef CAIRN_ENGINE_SORTED_READS_H_
#define CAIRN_ENGINE_SORTED_READS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "leveldb/options.h"
#include "leveldb/status.h"

namespace leveldb {
class DB;
}

namespace cairn {

struct SortedReadStats {
  size_t steps = 0;  // keys reached by Next() from the previous one
  size_t seeks = 0;  // keys the iterator had to Seek to
  size_t gets = 0;   // keys read with Get once the keys looked scattered
};

// (*records)[i] is the encoded record stored for user key `keys[i]` (see
// format.h), or nullopt when there is none. LevelDB's status, for the
// caller to convert (ReadTrail::Convert names the file of a corruption).
leveldb::Status ReadRecordsSorted(
    leveldb::DB* db, const leveldb::ReadOptions& ro,
    absl::Span<const std::string_view> keys,
    std::vector<std::optional<std::string>>* records,
    SortedReadStats* stats = nullptr);

}  // namespace cairn

#endif  // CAIRN_ENGINE_SORTED_READS_H_
