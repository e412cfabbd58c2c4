// The op log's retention: the background trimmer bounds the log (and, after
// compaction, the directory) under endless overwrites, a hold keeps what a
// slow reader still needs, and a reopened long log is trimmed at once.
#include <filesystem>

#include "engine/db.h"
#include "engine/op_log.h"
#include "gtest/gtest.h"
#include "leveldb/db.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

using ::cairn::testing::OpenTestDb;
using ::cairn::testing::TempDir;

constexpr absl::Duration kPatience = absl::Seconds(60);

uint64_t DirectoryBytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

nlohmann::json Stats(Db* db) {
  return nlohmann::json::parse(*db->Property("cairn.stats"));
}

// Writes `n` overwrites of one key, `per_batch` to a batch.
void Overwrite(Db* db, int n, int per_batch) {
  for (int done = 0; done < n; done += per_batch) {
    WriteBatch b;
    for (int i = 0; i < per_batch; ++i) b.Put("key", std::to_string(done + i));
    ASSERT_TRUE(db->Write({}, b).ok());
  }
}

TEST(OpLogRetentionTest, OverwritesLeaveABoundedLogAndDirectory) {
  TempDir dir;
  // Default options: the default retention is what a user gets.
  std::unique_ptr<Db> db = OpenTestDb(dir.Sub("db"), {});
  ASSERT_NE(db, nullptr);
  const uint64_t retain = db->options().oplog_retain_ops;
  const uint64_t bound = retain + OpLogRetention{retain, 0}.TrimSlack();
  Overwrite(db.get(), 300000, 100);
  const uint64_t last = db->LastSequence();
  ASSERT_EQ(last, 300000u);
  // The last trim the writes asked for has run.
  ASSERT_TRUE(db->WaitForOpLogTrim(last - bound + 1, absl::Now() + kPatience))
      << "first sequence stuck at " << db->OpLogFirstSequence();
  auto log = db->ReadOpLog(db->OpLogFirstSequence(), 1 << 20);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_LE(log->size(), bound);
  EXPECT_GE(log->size(), retain);  // a tail stays for readers
  EXPECT_EQ(log->back().sequence, last);
  nlohmann::json stats = Stats(db.get());
  EXPECT_GT(stats["oplog_trims"].get<uint64_t>(), 0u);
  EXPECT_EQ(stats["oplog_trimmed_ops"].get<uint64_t>(),
            db->OpLogFirstSequence() - 1);
  std::string v;
  ASSERT_TRUE(db->Get({}, "key", &v).ok());
  EXPECT_EQ(v, "299999");

  db->Compact();
  // Unbounded, the log alone was 6.2 MB here; what stays is one record,
  // the retained tail and LevelDB's own files.
  EXPECT_LT(DirectoryBytes(dir.Sub("db")), 1u << 20);
}

TEST(OpLogRetentionTest, AHoldKeepsTheLogFromItsSequence) {
  TempDir dir;
  std::unique_ptr<Db> db =
      OpenTestDb(dir.Sub("db"), {{"oplog.retain_ops", "100"}});
  ASSERT_NE(db, nullptr);
  Overwrite(db.get(), 200, 10);
  ASSERT_TRUE(db->SetOpLogHold(50).ok());
  Overwrite(db.get(), 3000, 10);  // past the threshold (100 + 1024)
  ASSERT_TRUE(db->WaitForOpLogTrim(50, absl::Now() + kPatience));
  EXPECT_EQ(db->OpLogFirstSequence(), 50u);  // not past the hold
  auto held = db->ReadOpLog(50, 1);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(Stats(db.get())["oplog_hold"], 50);

  // The peer catches up: the hold moves and the trimmer follows.
  ASSERT_TRUE(db->SetOpLogHold(3000).ok());
  ASSERT_TRUE(db->WaitForOpLogTrim(3000, absl::Now() + kPatience));
  EXPECT_EQ(db->OpLogFirstSequence(), 3000u);
  // A hold on what is gone is refused: that reader needs a resync.
  absl::Status s = db->SetOpLogHold(10);
  EXPECT_TRUE(absl::IsOutOfRange(s)) << s;
  EXPECT_NE(s.message().find("sequence 10"), std::string_view::npos) << s;

  // No peers: back to the retention alone.
  db->ClearOpLogHold();
  ASSERT_TRUE(db->WaitForOpLogTrim(db->LastSequence() - 100 + 1,
                                   absl::Now() + kPatience));
  EXPECT_EQ(Stats(db.get())["oplog_hold"], 0);
}

TEST(OpLogRetentionTest, ZeroKeepsEverythingAndAReopenTrimsALongLog) {
  TempDir dir;
  {
    std::unique_ptr<Db> db =
        OpenTestDb(dir.Sub("db"), {{"oplog.retain_ops", "0"}});
    ASSERT_NE(db, nullptr);
    Overwrite(db.get(), 5000, 50);
    EXPECT_EQ(db->OpLogFirstSequence(), 1u);
    EXPECT_EQ(Stats(db.get())["oplog_trims"], 0);
  }
  std::unique_ptr<Db> db =
      OpenTestDb(dir.Sub("db"), {{"oplog.retain_ops", "1000"}});
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->WaitForOpLogTrim(4001, absl::Now() + kPatience))
      << "first sequence stuck at " << db->OpLogFirstSequence();
  EXPECT_EQ(db->OpLogFirstSequence(), 4001u);
  auto log = db->ReadOpLog(4001, 10000);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), 1000u);
}

// The cap the replication layer sets (replication.log_retention_mb): past
// it, a hold gives way to the retention. On an OpLog without its trimmer
// thread, so each trim is the test's own call.
TEST(OpLogRetentionTest, AHoldGivesWayPastTheCap) {
  TempDir dir;
  leveldb::Options lo;
  lo.create_if_missing = true;
  leveldb::DB* raw = nullptr;
  ASSERT_TRUE(leveldb::DB::Open(lo, dir.Sub("ldb"), &raw).ok());
  std::unique_ptr<leveldb::DB> ldb(raw);
  for (uint64_t seq = 1; seq <= 3000; ++seq) {
    std::string batch;
    OpBatchWriter w(&batch, 1);
    w.Add(OpKind::kPut, Version{seq, 7}, "key");
    ASSERT_TRUE(ldb->Put({}, OpLogKey(seq), batch).ok());
  }
  ldb->CompactRange(nullptr, nullptr);  // sizes are counted in table files
  OpLog log(ldb.get());
  HybridClock clock;
  ASSERT_TRUE(log.Recover(&clock).ok());
  ASSERT_EQ(log.LastSequence(), 3000u);
  ASSERT_TRUE(log.SetHold(50).ok());

  log.SetRetention({/*retain_ops=*/100, /*hold_cap_bytes=*/0});
  ASSERT_TRUE(log.TrimToRetention().ok());
  EXPECT_EQ(log.FirstSequence(), 50u);  // no cap: the hold wins
  EXPECT_EQ(log.hold_overrides(), 0u);

  log.SetRetention({/*retain_ops=*/100, /*hold_cap_bytes=*/1});
  ASSERT_TRUE(log.TrimToRetention().ok());
  EXPECT_EQ(log.FirstSequence(), 2901u);  // past the cap: the retention
  EXPECT_EQ(log.hold_overrides(), 1u);
  // The held reader's place is gone; it must resync.
  EXPECT_TRUE(absl::IsOutOfRange(log.SetHold(50)));
  log.Close();
}

}  // namespace
}  // namespace cairn
