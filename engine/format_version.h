// The on-disk format version of a Cairn database.
//
// Every database carries its format version in the engine's metadata
// (MetaKey(kFormatVersionMeta), a decimal string), written when it is
// created. Format 1 is the layout of format.h: user records, op-log
// batches and metadata in one LevelDB database. Databases created before the
// marker existed are format 1 and get the marker at their next open.
//
// At open, CheckFormatVersion refuses a version this build does not know
// (a database written by a newer Cairn) with Unimplemented, naming both
// versions, before anything else is written. A Cairn that changes the
// format raises kFormatVersion and reads (or upgrades) every older one.
//
// Stateless; thread-compatible like the LevelDB handle it is given.
#ifndef CAIRN_ENGINE_FORMAT_VERSION_H_
#define CAIRN_ENGINE_FORMAT_VERSION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace leveldb {
class DB;
}

namespace cairn {

inline constexpr uint64_t kFormatVersion = 1;
inline constexpr char kFormatVersionMeta[] = "format_version";

// Reads the marker of the database at `path` (open as `db`): OK for this
// version (writing the marker if absent), Unimplemented for a newer one,
// Corruption for a malformed one.
[[nodiscard]] absl::Status CheckFormatVersion(leveldb::DB* db,
                                              const std::string& path);

}  // namespace cairn

#endif  // CAIRN_ENGINE_FORMAT_VERSION_H_
