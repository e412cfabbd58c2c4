// AuditSnapshot: a private copy of an audit log that a running client holds
// open, so `cairn audit` can query it.
//
// LevelDB locks its directory, so a log in use cannot be opened. Its files
// can be read, though: tables never change once written, and the manifest
// and write-ahead log only grow. A snapshot hard-links the tables (copies
// them across file systems) and copies the rest into a temporary directory;
// LevelDB recovers the copy like a database after a crash, dropping a
// record torn at the end of a copied log. When a compaction deletes or adds
// files during the copy, the copy does not open and is made again (a few
// times). The copy holds every record written before it was taken.
//
// The directory is removed by the destructor. Thread-compatible.
#ifndef CAIRN_BINDINGS_CLI_AUDIT_SNAPSHOT_H_
#define CAIRN_BINDINGS_CLI_AUDIT_SNAPSHOT_H_

#include <string>

namespace cairn::cli {

class AuditSnapshot {
 public:
  AuditSnapshot() = default;
  ~AuditSnapshot();
  AuditSnapshot(const AuditSnapshot&) = delete;
  AuditSnapshot& operator=(const AuditSnapshot&) = delete;

  // Copies the log at `source` into a new temporary directory and returns
  // its path; throws CliError when the files cannot be read or copied.
  // Taking a snapshot again replaces the previous copy.
  const std::string& Take(const std::string& source);

 private:
  void Remove();
  std::string dir_;
};

}  // namespace cairn::cli

#endif  // CAIRN_BINDINGS_CLI_AUDIT_SNAPSHOT_H_
