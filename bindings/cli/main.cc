// cairn: look inside and operate a Cairn database from the shell.
//
//   cairn --db PATH SUBCOMMAND [ARGS]     (or CAIRN_DB=PATH cairn ...)
//
// See `cairn --help-all` and the README's "Command-line tool" section.
#include <stdio.h>

#include <string>

#include "CLI/CLI.hpp"
#include "bindings/cli/cli.h"

namespace {

constexpr char kExitCodes[] =
    "Exit codes: 0 ok; 1 error (I/O, internal); 2 usage (unknown subcommand\n"
    "or option, bad value); 3 not found (key, database, property); 4 busy\n"
    "(database open in another process); 5 corruption (damaged database or\n"
    "dump file, or check found problems); 6 refused (needs --force or\n"
    "--yes); 7 not supported by this library or build.";

std::string VersionString() {
  return std::string("cairn ") + CAIRN_TOOL_VERSION + " (libcairn " +
         cairn_version() + ", ABI " + std::to_string(cairn_abi_major()) + "." +
         std::to_string(cairn_abi_minor()) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cairn::cli;
  CLI::App app("cairn: inspect and operate a Cairn database", "cairn");
  app.footer(kExitCodes);
  app.require_subcommand(0, 1);  // none is reported below, with the usage
  app.fallthrough();  // global options may also follow the subcommand
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  app.set_version_flag("--version", VersionString());

  Globals g;
  app.add_option("-d,--db", g.db_path, "Database directory")
      ->envname("CAIRN_DB");
  app.add_option("-o,--option", g.options,
                 "Database option NAME=VALUE (repeatable), e.g. "
                 "cache.capacity_mb=0")
      ->allow_extra_args(false);

  AddDataCommands(app, g);
  AddInfoCommands(app, g);
  AddDumpCommands(app, g);
  AddAdminCommands(app, g);
  AddServeCommand(app, g);
  AddAuditCommand(app, g);
  for (CLI::App* sub : app.get_subcommands({})) sub->footer(kExitCodes);

  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) {
      fprintf(stderr, "cairn: a subcommand is required\n%s",
              app.help("", CLI::AppFormatMode::Normal).c_str());
      return kExitUsage;
    }
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0.
    int printed = app.exit(e);
    return printed == 0 ? kExitOk : kExitUsage;
  } catch (const CliError& e) {
    fflush(stdout);
    fprintf(stderr, "cairn: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    fflush(stdout);
    fprintf(stderr, "cairn: internal error: %s\n", e.what());
    return kExitError;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "cairn: writing the output failed\n");
    return kExitError;
  }
  return kExitOk;
}
