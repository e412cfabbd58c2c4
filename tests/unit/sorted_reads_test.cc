#include "engine/sorted_reads.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/format.h"
#include "gtest/gtest.h"
#include "leveldb/db.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

class SortedReadsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    leveldb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = 64 << 10;  // several tables and levels
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(o, dir_.Sub("ldb"), &db).ok());
    db_.reset(db);
    // Every other key holds a record; other key spaces sit on both sides.
    for (int i = 0; i < kKeys; i += 2) {
      Put(DataKey(Key(i)), Value(i, "old"));
      if (i % 100 == 0) {
        Put(MetaKey(Key(i)), "meta");
        Put(OpLogKey(i + 1), "log");
      }
      if (i == kKeys / 2) {
        db_->CompactRange(nullptr, nullptr);  // half in tables, half not
      }
    }
  }
  static std::string Key(int i) { return absl::StrFormat("key%06d", i); }
  static std::string Value(int i, const char* tag) {
    return absl::StrFormat("%s-%d", tag, i);
  }
  void Put(const std::string& k, const std::string& v) {
    ASSERT_TRUE(db_->Put(leveldb::WriteOptions(), k, v).ok());
  }
  // Reads `ids` and checks every answer against what was written.
  SortedReadStats ReadAndCheck(const std::vector<int>& ids,
                               const leveldb::ReadOptions& ro,
                               const char* tag) {
    std::vector<std::string> keys;
    for (int i : ids) keys.push_back(Key(i));
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<std::optional<std::string>> got;
    SortedReadStats stats;
    leveldb::Status s = ReadRecordsSorted(db_.get(), ro, views, &got, &stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(got.size(), ids.size());
    for (size_t k = 0; k < ids.size() && k < got.size(); ++k) {
      if (ids[k] % 2 == 0 && ids[k] < kKeys) {
        EXPECT_EQ(got[k], Value(ids[k], tag)) << Key(ids[k]);
      } else {
        EXPECT_EQ(got[k], std::nullopt) << Key(ids[k]);
      }
    }
    EXPECT_EQ(stats.steps + stats.seeks + stats.gets, ids.size());
    return stats;
  }

  static constexpr int kKeys = 20000;
  testing::TempDir dir_;
  std::unique_ptr<leveldb::DB> db_;
};

TEST_F(SortedReadsTest, NearKeysInAnyOrderAreReachedByStepping) {
  std::vector<int> ids;
  for (int i = 3000; i < 4024; ++i) ids.push_back(i);  // present and absent
  ids.push_back(3500);                                  // and a repeat
  std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  SortedReadStats stats = ReadAndCheck(ids, leveldb::ReadOptions(), "old");
  EXPECT_EQ(stats.gets, 0u);
  EXPECT_LE(stats.seeks, 2u);
}

TEST_F(SortedReadsTest, ScatteredKeysFallBackToGet) {
  std::vector<int> ids;
  std::mt19937 rng(11);
  for (int n = 0; n < 500; ++n) ids.push_back(rng() % kKeys);
  SortedReadStats stats = ReadAndCheck(ids, leveldb::ReadOptions(), "old");
  EXPECT_GT(stats.gets, 400u);
  EXPECT_GT(stats.seeks, 8u);  // judged over the first keys
}

TEST_F(SortedReadsTest, ReadsAtTheGivenSnapshotAndHandlesEdges) {
  const leveldb::Snapshot* snap = db_->GetSnapshot();
  for (int i = 0; i < kKeys; i += 2) Put(DataKey(Key(i)), Value(i, "new"));
  leveldb::ReadOptions at_snap;
  at_snap.snapshot = snap;
  std::vector<int> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(i);  // from the first key
  for (int i = kKeys - 300; i < kKeys + 10; ++i) ids.push_back(i);  // past it
  ReadAndCheck(ids, at_snap, "old");
  ReadAndCheck(ids, leveldb::ReadOptions(), "new");
  db_->ReleaseSnapshot(snap);
  ReadAndCheck({}, leveldb::ReadOptions(), "new");
}

}  // namespace
}  // namespace cairn
