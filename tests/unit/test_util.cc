#include "tests/unit/test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "engine/db.h"
#include "gtest/gtest.h"

namespace cairn::testing {

TempDir::TempDir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "cairn-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  // Destroy every database under the directory first: that also removes its
  // shared-memory cache segments, which live outside the directory.
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().filename() == "CURRENT") {
      (void)Db::Destroy(it->path().parent_path().string());
    }
  }
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<Db> OpenTestDb(const std::string& path,
                               const OptionList& options) {
  Options o;
  o.create_if_missing = true;
  for (const auto& [k, v] : options) {
    absl::Status s = SetOption(&o, k, v);
    EXPECT_TRUE(s.ok()) << s;
  }
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(o, path);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

}  // namespace cairn::testing
