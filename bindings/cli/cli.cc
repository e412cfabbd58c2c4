#include "bindings/cli/cli.h"

#include <unistd.h>

namespace cairn::cli {

int ExitCodeFor(cairn_status_t status) {
  switch (status) {
    case CAIRN_OK:
      return kExitOk;
    case CAIRN_NOT_FOUND:
      return kExitNotFound;
    case CAIRN_INVALID_ARGUMENT:
      return kExitUsage;
    case CAIRN_BUSY:
      return kExitBusy;
    case CAIRN_CORRUPTION:
      return kExitCorruption;
    case CAIRN_NOT_SUPPORTED:
      return kExitNotSupported;
    default:
      return kExitError;
  }
}

void Check(cairn_status_t status, char** errmsg, const std::string& context) {
  if (status == CAIRN_OK) return;
  std::string message = context + ": " + cairn_status_name(status) + ": " +
                        (*errmsg != nullptr ? *errmsg : "(no message)");
  cairn_free(*errmsg);
  *errmsg = nullptr;
  throw CliError(ExitCodeFor(status), message);
}

Database::Database(const Globals& g, bool create) : path_(g.db_path) {
  if (path_.empty()) {
    throw CliError(kExitUsage, "no database: give --db PATH (or set CAIRN_DB)");
  }
  cairn_options_t* options = cairn_options_create();
  char* err = nullptr;
  cairn_status_t s = CAIRN_OK;
  if (create) s = cairn_options_set(options, "create_if_missing", "true", &err);
  for (const std::string& o : g.options) {
    if (s != CAIRN_OK) break;
    size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      cairn_options_destroy(options);
      throw CliError(kExitUsage, "option '" + o + "': expected NAME=VALUE");
    }
    s = cairn_options_set(options, o.substr(0, eq).c_str(),
                          o.substr(eq + 1).c_str(), &err);
  }
  if (s == CAIRN_OK) s = cairn_open(options, path_.c_str(), &db_, &err);
  cairn_options_destroy(options);
  Check(s, &err, "database " + path_);
}

std::string Database::Property(const char* name) const {
  char* value = nullptr;
  char* err = nullptr;
  Check(cairn_property(db_, name, &value, &err), &err,
        std::string("property ") + name);
  std::string out(value);
  cairn_free(value);
  return out;
}

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }
bool StdinIsTerminal() { return isatty(STDIN_FILENO) == 1; }

}  // namespace cairn::cli
