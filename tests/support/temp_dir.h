// TempDir: the one temporary directory of every C++ test suite.
//
// Made with mkdtemp under $TMPDIR (or /tmp); removed when the object goes,
// even when the test failed. Databases found inside (by their CURRENT file)
// are destroyed first, through the layer the suite tests (the engine for
// unit tests, the C ABI for process tests), because that also removes their
// shared-memory segments, which live outside the directory.
//
// Thread-compatible. Header-only so each suite links only its own layer.
#ifndef CAIRN_TESTS_SUPPORT_TEMP_DIR_H_
#define CAIRN_TESTS_SUPPORT_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cairn::testing {

class BasicTempDir {
 public:
  using DestroyDb = std::function<void(const std::string& db_path)>;

  explicit BasicTempDir(DestroyDb destroy) : destroy_(std::move(destroy)) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "cairn-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~BasicTempDir() {
    std::error_code ec;
    std::vector<std::string> dbs;
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->path().filename() == "CURRENT") {
        dbs.push_back(it->path().parent_path().string());
      }
    }
    for (const std::string& db : dbs) destroy_(db);
    std::filesystem::remove_all(path_, ec);
  }
  BasicTempDir(const BasicTempDir&) = delete;
  BasicTempDir& operator=(const BasicTempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  DestroyDb destroy_;
  std::string path_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_TEMP_DIR_H_
