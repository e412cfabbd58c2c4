// check, compact, destroy, gc.
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "bindings/cli/bytes.h"
#include "bindings/cli/cli.h"

namespace cairn::cli {
namespace {

// cairn_check(db, &report, &errmsg): verifies LevelDB's checksums and that
// every cached item matches LevelDB. Looked up at run time, so this tool
// works with a library that predates it (and says so).
using CheckFn = cairn_status_t (*)(cairn_db_t*, char**, char**);

CheckFn FindCheck() {
  void* sym = dlsym(RTLD_DEFAULT, "cairn_check");
  CheckFn fn = nullptr;
  static_assert(sizeof sym == sizeof fn);
  memcpy(&fn, &sym, sizeof fn);
  return fn;
}

bool Confirm(const std::string& question) {
  fprintf(stderr, "%s [y/N] ", question.c_str());
  fflush(stderr);
  char line[16] = {};
  if (fgets(line, sizeof line, stdin) == nullptr) return false;
  return line[0] == 'y' || line[0] == 'Y';
}

}  // namespace

void AddAdminCommands(CLI::App& app, Globals& g) {
  {
    auto* cmd = app.add_subcommand(
        "check", "Verify LevelDB checksums and that the cache matches LevelDB");
    cmd->callback([&g] {
      CheckFn check = FindCheck();
      if (check == nullptr) {
        throw CliError(kExitNotSupported,
                       std::string("check is not supported by this library "
                                   "(libcairn ") +
                           cairn_version() + " has no cairn_check)");
      }
      Database db(g, false);
      char* report = nullptr;
      char* err = nullptr;
      cairn_status_t s = check(db.get(), &report, &err);
      if (report != nullptr) {
        fputs(report, stdout);
        cairn_free(report);
      }
      Check(s, &err, "check " + db.path());
    });
  }
  {
    auto* cmd = app.add_subcommand(
        "compact", "Compact the database (or a key range) to reclaim space");
    auto range = std::make_shared<std::pair<std::string, std::string>>();
    auto hex = std::make_shared<bool>(false);
    cmd->add_option("--from", range->first, "First key (inclusive)");
    cmd->add_option("--to", range->second, "Last key (exclusive)");
    cmd->add_flag("--hex", *hex, "--from and --to are hex");
    cmd->callback([&g, cmd, range, hex] {
      BytesFormat f = *hex ? BytesFormat::kHex : BytesFormat::kEscaped;
      bool has_from = cmd->count("--from") > 0, has_to = cmd->count("--to") > 0;
      std::string from = has_from ? Parse(range->first, f, "--from") : "";
      std::string to = has_to ? Parse(range->second, f, "--to") : "";
      Database db(g, false);
      char* err = nullptr;
      Check(cairn_compact_range(db.get(), has_from ? from.data() : nullptr,
                                from.size(), has_to ? to.data() : nullptr,
                                to.size(), &err),
            &err, "compact " + db.path());
    });
  }
  {
    auto* cmd = app.add_subcommand(
        "destroy", "Delete the database and its shared-memory cache segments");
    auto yes = std::make_shared<bool>(false);
    cmd->add_flag("-y,--yes", *yes, "Do not ask for confirmation");
    cmd->callback([&g, yes] {
      if (g.db_path.empty()) {
        throw CliError(kExitUsage,
                       "no database: give --db PATH (or set CAIRN_DB)");
      }
      if (!*yes) {
        if (!StdinIsTerminal()) {
          throw CliError(kExitRefused, "refusing to destroy " + g.db_path +
                                           " without confirmation; give --yes");
        }
        if (!Confirm("Destroy the database " + g.db_path +
                     " and its cache segments?")) {
          throw CliError(kExitRefused, "not confirmed; nothing destroyed");
        }
      }
      char* err = nullptr;
      Check(cairn_destroy(g.db_path.c_str(), &err), &err,
            "destroy " + g.db_path);
    });
  }
  {
    auto* cmd = app.add_subcommand(
        "gc",
        "Remove your orphaned cache segments from /dev/shm (databases deleted "
        "without destroy, owner gone); needs no --db");
    cmd->callback([] {
      uint32_t removed = 0;
      char* err = nullptr;
      Check(cairn_gc_segments(&removed, &err), &err, "gc");
      printf("removed %u orphaned cache segment%s\n", removed,
             removed == 1 ? "" : "s");
    });
  }
}

}  // namespace cairn::cli
