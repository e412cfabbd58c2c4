// The `cairn` command-line tool: what every subcommand shares.
//
// The tool is a client of the C ABI like any other host: it links libcairn
// and calls cairn_* functions, nothing from the engine. Subcommands fail by
// throwing CliError with a message naming the culprit and an exit code from
// ExitCode; main() prints "cairn: <message>" and exits with it. Output for
// scripts goes to stdout; messages and progress bars go to stderr.
#ifndef CAIRN_BINDINGS_CLI_CLI_H_
#define CAIRN_BINDINGS_CLI_CLI_H_

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cairn/cairn.h"

namespace CLI {
class App;
}

namespace cairn::cli {

// Exit codes (documented in the README and `cairn --help`). Stable: scripts
// may rely on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,         // any other failure (I/O, internal)
  kExitUsage = 2,         // bad arguments: unknown subcommand, option, value
  kExitNotFound = 3,      // missing key, database or property
  kExitBusy = 4,          // the database is open in another process
  kExitCorruption = 5,    // a damaged database or dump file; check found
                          // problems
  kExitRefused = 6,       // refused to overwrite or destroy without
                          // --force / --yes
  kExitNotSupported = 7,  // not available in this library or build
};

// The exit code for a failed C ABI call.
int ExitCodeFor(cairn_status_t status);

class CliError : public std::runtime_error {
 public:
  CliError(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Throws CliError for a failed call: "<context>: <STATUS>: <message>".
// Frees *errmsg. Does nothing when status is CAIRN_OK. (A pointer, read
// after the call: `Check(f(&err), err, ...)` could copy err before f runs.)
void Check(cairn_status_t status, char** errmsg, const std::string& context);

// Options every database subcommand takes (set on the top-level app).
struct Globals {
  std::string db_path;               // --db, or $CAIRN_DB
  std::vector<std::string> options;  // -o name=value, repeatable
};

// An open database, closed when this goes out of scope.
class Database {
 public:
  // Opens g.db_path with g.options. `create`: create it when missing.
  Database(const Globals& g, bool create);
  ~Database() { cairn_close(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  cairn_db_t* get() const { return db_; }
  const std::string& path() const { return path_; }
  // The property as a string (throws on failure).
  std::string Property(const char* name) const;

 private:
  std::string path_;
  cairn_db_t* db_ = nullptr;
};

// Whether progress bars and prompts may be shown (stderr / stdin is a
// terminal).
bool StderrIsTerminal();
bool StdinIsTerminal();

// Subcommand groups (cmd_*.cc).
void AddDataCommands(CLI::App& app, Globals& g);
void AddInfoCommands(CLI::App& app, Globals& g);
void AddDumpCommands(CLI::App& app, Globals& g);
void AddAdminCommands(CLI::App& app, Globals& g);
void AddServeCommand(CLI::App& app, Globals& g);
void AddAuditCommand(CLI::App& app, Globals& g);

}  // namespace cairn::cli

#endif  // CAIRN_BINDINGS_CLI_CLI_H_
