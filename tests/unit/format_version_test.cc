// The on-disk format version: written at creation, added to databases made
// before the marker, and a newer (unknown) version refused with a clear
// message before anything is written.
#include "engine/format_version.h"

#include "engine/db.h"
#include "engine/format.h"
#include "gtest/gtest.h"
#include "leveldb/db.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

using ::cairn::testing::OpenTestDb;
using ::cairn::testing::TempDir;

// Runs `fn` on the database's raw LevelDB (the Db closed).
template <typename Fn>
void WithRawLevelDB(const std::string& path, Fn fn) {
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), path, &raw).ok());
  std::unique_ptr<leveldb::DB> ldb(raw);
  fn(ldb.get());
}

std::string StoredVersion(const std::string& path) {
  std::string v = "absent";
  WithRawLevelDB(path, [&](leveldb::DB* db) {
    leveldb::Status s =
        db->Get(leveldb::ReadOptions(), MetaKey(kFormatVersionMeta), &v);
    if (s.IsNotFound()) v = "absent";
  });
  return v;
}

void SetStoredVersion(const std::string& path, const std::string* value) {
  WithRawLevelDB(path, [&](leveldb::DB* db) {
    const std::string key = MetaKey(kFormatVersionMeta);
    ASSERT_TRUE((value ? db->Put({}, key, *value) : db->Delete({}, key)).ok());
  });
}

TEST(FormatVersionTest, CreationWritesTheCurrentVersion) {
  TempDir dir;
  ASSERT_NE(OpenTestDb(dir.Sub("db"), {}), nullptr);
  EXPECT_EQ(StoredVersion(dir.Sub("db")), "1");
}

TEST(FormatVersionTest, ADatabaseFromBeforeTheMarkerIsFormatOne) {
  TempDir dir;
  {
    auto db = OpenTestDb(dir.Sub("db"), {});
    ASSERT_TRUE(db->Put({}, "k", "v").ok());
  }
  SetStoredVersion(dir.Sub("db"), nullptr);  // as Cairn 0.1.0 left it
  auto db = OpenTestDb(dir.Sub("db"), {});
  ASSERT_NE(db, nullptr);
  std::string v;
  ASSERT_TRUE(db->Get({}, "k", &v).ok());
  EXPECT_EQ(v, "v");
  db.reset();
  EXPECT_EQ(StoredVersion(dir.Sub("db")), "1");
}

TEST(FormatVersionTest, ANewerVersionIsRefusedUntouched) {
  TempDir dir;
  {
    auto db = OpenTestDb(dir.Sub("db"), {});
    ASSERT_TRUE(db->Put({}, "k", "v").ok());
  }
  const std::string future = "2";
  SetStoredVersion(dir.Sub("db"), &future);
  Options o;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(o, dir.Sub("db"));
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(absl::IsUnimplemented(db.status())) << db.status();
  const std::string msg(db.status().message());
  EXPECT_NE(msg.find("format version 2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("up to 1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer Cairn"), std::string::npos) << msg;
  EXPECT_EQ(StoredVersion(dir.Sub("db")), "2");  // not rewritten
}

TEST(FormatVersionTest, AMalformedVersionIsCorruption) {
  TempDir dir;
  ASSERT_NE(OpenTestDb(dir.Sub("db"), {}), nullptr);
  const std::string junk = "one";
  SetStoredVersion(dir.Sub("db"), &junk);
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(Options(), dir.Sub("db"));
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(absl::IsDataLoss(db.status())) << db.status();
  EXPECT_NE(std::string(db.status().message()).find("'one'"),
            std::string::npos);
}

}  // namespace
}  // namespace cairn
