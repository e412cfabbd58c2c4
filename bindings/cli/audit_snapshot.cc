#include "bindings/cli/audit_snapshot.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "bindings/cli/cli.h"

namespace cairn::cli {
namespace {

namespace fs = std::filesystem;

bool IsTable(const fs::path& p) {
  return p.extension() == ".ldb" || p.extension() == ".sst";
}

}  // namespace

AuditSnapshot::~AuditSnapshot() { Remove(); }

void AuditSnapshot::Remove() {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
}

const std::string& AuditSnapshot::Take(const std::string& source) {
  Remove();
  std::string tmpl = (fs::temp_directory_path() / "cairn-audit-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    throw CliError(kExitError, "cannot create a temporary directory for a "
                               "copy of the audit log");
  }
  dir_ = tmpl;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(source, ec)) {
    const fs::path name = e.path().filename();
    // LevelDB's lock and message logs are not part of the data.
    if (name == "LOCK" || name == "LOG" || name == "LOG.old") continue;
    const fs::path to = fs::path(dir_) / name;
    std::error_code fe;
    if (IsTable(name)) {
      fs::create_hard_link(e.path(), to, fe);
      if (!fe) continue;
      fe.clear();
    }
    fs::copy_file(e.path(), to, fe);
    // A file a compaction removed meanwhile: the copy will not open, and
    // the caller takes it again.
    if (fe && fe != std::errc::no_such_file_or_directory) {
      throw CliError(kExitError, "copying the audit log's " + name.string() +
                                     ": " + fe.message());
    }
  }
  if (ec) {
    throw CliError(kExitError,
                   "reading the audit log '" + source + "': " + ec.message());
  }
  return dir_;
}

}  // namespace cairn::cli
