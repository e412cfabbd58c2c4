#include "tests/unit/test_util.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "engine/db.h"
#include "gtest/gtest.h"

namespace cairn::testing {

std::unique_ptr<Db> OpenTestDb(const std::string& path,
                               const OptionList& options, const DbEnv& env) {
  Options o;
  o.create_if_missing = true;
  for (const auto& [k, v] : options) {
    absl::Status s = SetOption(&o, k, v);
    EXPECT_TRUE(s.ok()) << s;
  }
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(o, path, env);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

}  // namespace cairn::testing
