// Helpers shared by the engine tests: temporary directories that clean up
// after themselves, even when a test fails.
#ifndef CAIRN_TESTS_UNIT_TEST_UTIL_H_
#define CAIRN_TESTS_UNIT_TEST_UTIL_H_

#include <string>

namespace cairn::testing {

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
