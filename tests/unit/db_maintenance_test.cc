// Db::CompactRange, Db::ApproximateSizes and Db::Repair
// (engine/db_maintenance.cc).
#include <stdio.h>

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

using testing::OpenTestDb;
using testing::TempDir;

std::string Key(int i) {
  char buf[16];
  snprintf(buf, sizeof buf, "k%06d", i);
  return buf;
}

// n keys with 200 incompressible bytes each.
void Fill(Db* db, int n) {
  std::mt19937 rng(n);
  std::string value(200, '\0');
  for (int i = 0; i < n; ++i) {
    for (char& c : value) c = static_cast<char>(rng());
    ASSERT_TRUE(db->Put(WriteOptions(), Key(i), value).ok());
  }
}

TEST(DbMaintenanceTest, CompactionDropsDeletedDataAndSizesFollow) {
  TempDir dir;
  std::unique_ptr<Db> db = OpenTestDb(dir.Sub("db"), {});
  ASSERT_NE(db, nullptr);
  Fill(db.get(), 3000);
  ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
  absl::StatusOr<std::vector<uint64_t>> sizes = db->ApproximateSizes(
      {{"k", "l"}, {"k000000", "k001500"}, {"a", "b"}, {"l", "k"}});
  ASSERT_TRUE(sizes.ok()) << sizes.status();
  const uint64_t whole = (*sizes)[0];
  EXPECT_GT(whole, 3000u * 200);
  EXPECT_GT((*sizes)[1], 0u);
  EXPECT_LT((*sizes)[1], whole);
  EXPECT_EQ((*sizes)[2], 0u);
  EXPECT_EQ((*sizes)[3], 0u);  // reversed

  for (int i = 0; i < 3000; i += 2) {
    ASSERT_TRUE(db->Delete(WriteOptions(), Key(i)).ok());
  }
  ASSERT_TRUE(
      db->CompactRange(std::string_view("k"), std::string_view("l")).ok());
  sizes = db->ApproximateSizes({{"k", "l"}});
  ASSERT_TRUE(sizes.ok());
  EXPECT_LT((*sizes)[0], whole * 3 / 4);
  std::string value;
  EXPECT_TRUE(db->Get(ReadOptions(), Key(1), &value).ok());
  EXPECT_TRUE(absl::IsNotFound(db->Get(ReadOptions(), Key(0), &value)));

  EXPECT_TRUE(absl::IsInvalidArgument(
      db->CompactRange(std::string_view("z"), std::string_view("a"))));
  sizes = db->ApproximateSizes({});
  ASSERT_TRUE(sizes.ok());
  EXPECT_TRUE(sizes->empty());
}

TEST(DbMaintenanceTest, RepairRebuildsALostManifest) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  {
    std::unique_ptr<Db> db = OpenTestDb(path, {});
    ASSERT_NE(db, nullptr);
    Fill(db.get(), 500);
    ASSERT_TRUE(db->CompactRange(std::nullopt, std::nullopt).ok());
    ASSERT_TRUE(db->Put(WriteOptions(), "recent", "log only").ok());
    // Open here: the repair must refuse (Busy).
    EXPECT_TRUE(absl::IsFailedPrecondition(Db::Repair(Options(), path)));
  }
  ASSERT_EQ(remove((path + "/CURRENT").c_str()), 0);
  ASSERT_FALSE(Db::Open(Options(), path).ok());
  ASSERT_TRUE(Db::Repair(Options(), path).ok());
  std::unique_ptr<Db> db = OpenTestDb(path, {});
  ASSERT_NE(db, nullptr);
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), "recent", &value).ok());
  EXPECT_EQ(value, "log only");
  EXPECT_TRUE(db->Get(ReadOptions(), Key(499), &value).ok());
  // The op log survived too: the next write continues its sequence.
  EXPECT_EQ(db->LastSequence(), 501u);
}

TEST(DbMaintenanceTest, RepairRejectsBadPaths) {
  TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(Db::Repair(Options(), dir.Sub("missing"))));
  EXPECT_TRUE(absl::IsInvalidArgument(Db::Repair(Options(), "")));
  FILE* f = fopen(dir.Sub("file").c_str(), "w");
  ASSERT_NE(f, nullptr);
  fclose(f);
  EXPECT_TRUE(absl::IsInvalidArgument(Db::Repair(Options(), dir.Sub("file"))));
}

}  // namespace
}  // namespace cairn
