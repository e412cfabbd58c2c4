// Helpers shared by the engine tests: temporary directories that clean up
// after themselves, even when a test fails, and opening a test database.
#ifndef CAIRN_TESTS_UNIT_TEST_UTIL_H_
#define CAIRN_TESTS_UNIT_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/db.h"
#include "tests/support/temp_dir.h"

namespace cairn::testing {

using OptionList = std::vector<std::pair<std::string, std::string>>;

// Opens (creating) a database with `options` set by name; a failure is a
// test failure and returns null.
std::unique_ptr<Db> OpenTestDb(const std::string& path,
                               const OptionList& options,
                               const DbEnv& env = DbEnv());

// Destroys the databases it holds through the engine.
class TempDir : public BasicTempDir {
 public:
  TempDir()
      : BasicTempDir([](const std::string& db) { (void)Db::Destroy(db); }) {}
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_UNIT_TEST_UTIL_H_
