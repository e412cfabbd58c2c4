// Helpers shared by the engine tests: temporary directories that clean up
// after themselves, even when a test fails, and opening a test database.
#ifndef CAIRN_TESTS_UNIT_TEST_UTIL_H_
#define CAIRN_TESTS_UNIT_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/db.h"

namespace cairn::testing {

using OptionList = std::vector<std::pair<std::string, std::string>>;

// Opens (creating) a database with `options` set by name; a failure is a
// test failure and returns null.
std::unique_ptr<Db> OpenTestDb(const std::string& path,
                               const OptionList& options);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_UNIT_TEST_UTIL_H_
