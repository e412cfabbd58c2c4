#include "engine/format_version.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/format.h"
#include "engine/status.h"
#include "leveldb/db.h"

namespace cairn {

absl::Status CheckFormatVersion(leveldb::DB* db, const std::string& path) {
  const std::string key = MetaKey(kFormatVersionMeta);
  std::string value;
  leveldb::Status s = db->Get(leveldb::ReadOptions(), key, &value);
  if (s.IsNotFound()) {
    // A new database, or one created before the marker: both are format 1.
    leveldb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, key, absl::StrCat(kFormatVersion));
    return s.ok() ? absl::OkStatus()
                  : FromLevelDB(s, "writing the format version");
  }
  if (!s.ok()) return FromLevelDB(s, "reading the format version");
  uint64_t version = 0;
  if (!absl::SimpleAtoi(value, &version) || version == 0) {
    return CorruptionError(absl::StrCat("database '", path,
                                        "': metadata format_version is "
                                        "malformed: '",
                                        value, "'"));
  }
  if (version > kFormatVersion) {
    return absl::UnimplementedError(absl::StrCat(
        "database '", path, "' has on-disk format version ", version,
        ", written by a newer Cairn; this Cairn reads format versions up to ",
        kFormatVersion,
        ": open it with a newer Cairn (this one wrote nothing to it)"));
  }
  return absl::OkStatus();
}

}  // namespace cairn
