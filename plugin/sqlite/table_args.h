// TableArgs: the arguments of `CREATE VIRTUAL TABLE t USING cairn(...)`.
//
// Each argument is `name=value`. A name may be bare or quoted ("...",
// '...', `...` or [...]); a value may be bare, a SQL string ('it''s') or a
// double-quoted identifier. Two names belong to the module:
//   path   (required) the Cairn store's directory. A relative path is taken
//          relative to the directory of the SQLite database file that holds
//          the table (the working directory for in-memory databases).
//   sync   (default 1) fsync Cairn's log at every commit, as SQLite does;
//          0 keeps commits safe against a process crash only.
// Every other name is a Cairn option (see the README's option table) and is
// checked by cairn_options_set, whose message reaches the CREATE statement.
// Pure and thread-safe.
#ifndef CAIRN_PLUGIN_SQLITE_TABLE_ARGS_H_
#define CAIRN_PLUGIN_SQLITE_TABLE_ARGS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::sqlite {

struct TableArgs {
  std::string path;
  bool sync = true;
  // Cairn options in the order given.
  std::vector<std::pair<std::string, std::string>> options;
};

// Parses the module arguments. On failure returns false and sets *error to
// a message naming the argument.
bool ParseTableArgs(const std::vector<std::string_view>& args, TableArgs* out,
                    std::string* error);

// Parses one `name=value` argument (exposed for tests and the fuzzer).
bool ParseNameValue(std::string_view arg, std::string* name, std::string* value,
                    std::string* error);

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_TABLE_ARGS_H_
