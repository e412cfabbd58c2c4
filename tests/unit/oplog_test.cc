#include "engine/db.h"
#include "engine/format.h"
#include "gtest/gtest.h"
#include "leveldb/db.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

class OpLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen(bool paranoid_checks = true) {
    db_.reset();
    Options o;
    o.create_if_missing = true;
    o.paranoid_checks = paranoid_checks;
    auto db = Db::Open(o, dir_.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  cairn::testing::TempDir dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(OpLogTest, OneEntryPerOperationWithoutValues) {
  ASSERT_TRUE(db_->Put({}, "a", std::string(1000, 'x')).ok());
  ASSERT_TRUE(db_->Delete({}, "b").ok());
  WriteBatch b;
  b.Put("c", "1");
  b.Put("d", "2");
  b.Delete("c");
  ASSERT_TRUE(db_->Write({}, b).ok());
  auto log = db_->ReadOpLog(1, 100);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 5u);
  EXPECT_EQ((*log)[0].key, "a");
  EXPECT_EQ((*log)[0].kind, OpKind::kPut);
  EXPECT_FALSE((*log)[0].batch_continues);
  EXPECT_EQ((*log)[1].kind, OpKind::kDelete);
  EXPECT_TRUE((*log)[2].batch_continues);
  EXPECT_TRUE((*log)[3].batch_continues);
  EXPECT_FALSE((*log)[4].batch_continues);  // last of its batch
  for (size_t i = 0; i < log->size(); ++i) {
    EXPECT_EQ((*log)[i].sequence, i + 1);
  }
  // The entry's version is the record's version.
  absl::StatusOr<Record> r = db_->GetRecord({}, "a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, (*log)[0].version);
}

TEST_F(OpLogTest, ReadsFromAnySequenceWithALimit) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(db_->Put({}, "k" + std::to_string(i), "v").ok());
  }
  auto log = db_->ReadOpLog(15, 3);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].sequence, 15u);
  EXPECT_EQ((*log)[2].sequence, 17u);
  EXPECT_TRUE(db_->ReadOpLog(21, 10)->empty());
}

TEST_F(OpLogTest, TrimIsDurableAndSequencesContinue) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(db_->Put({}, "k" + std::to_string(i), "v").ok());
  }
  ASSERT_TRUE(db_->TrimOpLog(10).ok());
  EXPECT_EQ(db_->OpLogFirstSequence(), 11u);
  EXPECT_EQ(db_->ReadOpLog(5, 10).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*db_->ReadOpLog(11, 1))[0].sequence, 11u);
  Reopen();
  EXPECT_EQ(db_->OpLogFirstSequence(), 11u);
  EXPECT_EQ(db_->LastSequence(), 30u);
  // Trim everything: sequences must not restart after a reopen.
  ASSERT_TRUE(db_->TrimOpLog(1000).ok());
  EXPECT_EQ(db_->OpLogFirstSequence(), 31u);
  Reopen();
  EXPECT_EQ(db_->LastSequence(), 30u);
  ASSERT_TRUE(db_->Put({}, "new", "v").ok());
  EXPECT_EQ(db_->LastSequence(), 31u);
  auto log = db_->ReadOpLog(31, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].key, "new");
}

TEST_F(OpLogTest, TrimLongLogInChunks) {
  WriteBatch b;
  for (int i = 0; i < 25000; ++i) b.Put("k" + std::to_string(i), "v");
  ASSERT_TRUE(db_->Write({}, b).ok());
  ASSERT_TRUE(db_->TrimOpLog(24999).ok());
  auto log = db_->ReadOpLog(25000, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].sequence, 25000u);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_F(OpLogTest, ReadsFromTheMiddleOfABatch) {
  WriteBatch b;
  for (int i = 0; i < 5; ++i) b.Put("b" + std::to_string(i), "v");
  ASSERT_TRUE(db_->Write({}, b).ok());
  ASSERT_TRUE(db_->Put({}, "after", "v").ok());
  auto log = db_->ReadOpLog(3, 2);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].sequence, 3u);
  EXPECT_EQ((*log)[0].key, "b2");
  EXPECT_TRUE((*log)[1].batch_continues);
  log = db_->ReadOpLog(5, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_FALSE((*log)[0].batch_continues);  // the batch's last operation
  EXPECT_EQ((*log)[1].key, "after");
  // Trimming inside the batch keeps it readable from the trim point on.
  ASSERT_TRUE(db_->TrimOpLog(2).ok());
  EXPECT_FALSE(db_->ReadOpLog(2, 10).ok());
  log = db_->ReadOpLog(3, 10);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 4u);
}

TEST_F(OpLogTest, TrimReportsADamagedEntryAsCorruption) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(db_->Put({}, "k" + std::to_string(i), "v").ok());
  }
  db_.reset();
  {
    // Damage the entry of sequence 2 behind the engine's back.
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(
        leveldb::DB::Open(leveldb::Options(), dir_.Sub("db"), &raw).ok());
    std::unique_ptr<leveldb::DB> ldb(raw);
    ASSERT_TRUE(
        ldb->Put(leveldb::WriteOptions(), OpLogKey(2), "\x01junk").ok());
  }
  // With paranoid_checks (the default) the open itself refuses the newest
  // op-log entries when one is damaged (corruption_format_test.cc); without,
  // the damage is found by the trim.
  Reopen(/*paranoid_checks=*/false);
  ASSERT_NE(db_, nullptr);
  absl::Status s = db_->TrimOpLog(4);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("sequence 2"), std::string_view::npos) << s;
  // Nothing past the damage was trimmed, and the trim point did not move.
  EXPECT_EQ(db_->OpLogFirstSequence(), 1u);
}

}  // namespace
}  // namespace cairn
