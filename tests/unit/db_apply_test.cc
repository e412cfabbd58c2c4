// The replication seam of the engine: Apply (replicated commits), sequenced
// snapshots, reading the op log at a snapshot, the raw scan and metadata.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/db.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

constexpr uint32_t kPeer = 77;

class DbApplyTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    db_.reset();
    db_ = testing::OpenTestDb(dir_.Sub("db"), {{"node_id", "5"}});
    ASSERT_NE(db_, nullptr);
  }
  static ReceivedOp PutOp(std::string_view key, std::string_view value,
                          uint64_t hlc, uint32_t node = kPeer) {
    return ReceivedOp{OpKind::kPut, Version{hlc, node}, key, value};
  }
  std::string GetOrMissing(std::string_view key) {
    std::string v;
    absl::Status s = db_->Get({}, key, &v);
    return s.ok() ? v : "<" + std::string(s.ToString()) + ">";
  }

  testing::TempDir dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbApplyTest, AppliesNewerAndSkipsOlderVersions) {
  ASSERT_TRUE(db_->Put({}, "k", "local").ok());
  Version local = db_->GetRecord({}, "k")->version;
  std::vector<ReceivedOp> older = {PutOp("k", "old", local.hlc - 1)};
  absl::StatusOr<ApplyResult> r = db_->Apply({}, kPeer, older);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied, 0u);
  EXPECT_EQ(r->skipped, 1u);
  EXPECT_EQ(GetOrMissing("k"), "local");

  std::vector<ReceivedOp> newer = {PutOp("k", "remote", local.hlc + 1000)};
  r = db_->Apply({}, kPeer, newer);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied, 1u);
  EXPECT_EQ(GetOrMissing("k"), "remote");
  EXPECT_EQ(db_->GetRecord({}, "k")->version,
            (Version{local.hlc + 1000, kPeer}));
}

TEST_F(DbApplyTest, ApplyingTwiceWritesOnce) {
  std::vector<ReceivedOp> ops = {PutOp("a", "1", 1000), PutOp("b", "2", 1001)};
  ASSERT_EQ(db_->Apply({}, kPeer, ops)->applied, 2u);
  const uint64_t seq = db_->LastSequence();
  absl::StatusOr<ApplyResult> again = db_->Apply({}, kPeer, ops);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->applied, 0u);
  EXPECT_EQ(again->skipped, 2u);
  EXPECT_EQ(db_->LastSequence(), seq);  // nothing new in the op log
}

TEST_F(DbApplyTest, OpLogRecordsTheSourceAndOnlyAppliedOps) {
  ASSERT_TRUE(db_->Put({}, "x", "local").ok());
  Version local = db_->GetRecord({}, "x")->version;
  std::vector<ReceivedOp> ops = {PutOp("x", "stale", local.hlc - 1),
                                 PutOp("y", "new", local.hlc + 5)};
  absl::StatusOr<ApplyResult> r = db_->Apply({}, kPeer, ops);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->commit.first_sequence, 2u);
  EXPECT_EQ(r->commit.last_sequence, 2u);
  auto log = db_->ReadOpLog(1, 10);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].source, 0u);  // written here
  EXPECT_EQ((*log)[1].source, kPeer);
  EXPECT_EQ((*log)[1].key, "y");
  EXPECT_EQ((*log)[1].version, (Version{local.hlc + 5, kPeer}));
}

TEST_F(DbApplyTest, LaterLocalWritesOrderAfterReceivedVersions) {
  const uint64_t future = HybridClock().Now() + (uint64_t{3600000} << 16);
  ASSERT_TRUE(db_->Apply({}, kPeer, std::vector{PutOp("f", "1", future)}).ok());
  ASSERT_TRUE(db_->Put({}, "f", "2").ok());
  EXPECT_GT(db_->GetRecord({}, "f")->version.hlc, future);
  EXPECT_EQ(GetOrMissing("f"), "2");
}

// Operations above every version the node holds need no read of the stored
// record; the others are guarded as before, against the stored record or an
// earlier operation of the same group.
TEST_F(DbApplyTest, VersionsAboveTheClockSkipTheGuardReadOthersDoNot) {
  auto stat = [&](const char* name) {
    return db_->IntProperty(std::string("cairn.stats.") + name).value_or(~0ull);
  };
  ASSERT_TRUE(db_->Put({}, "local", "1").ok());
  const uint64_t base = db_->GetRecord({}, "local")->version.hlc;
  std::vector<std::string> keys;
  std::vector<ReceivedOp> stream;
  for (int i = 0; i < 100; ++i) keys.push_back(absl::StrCat("s", i));
  for (int i = 0; i < 100; ++i) {
    stream.push_back(PutOp(keys[i], "v", base + 10 + i));
  }
  ASSERT_EQ(db_->Apply({}, kPeer, stream)->applied, 100u);
  EXPECT_EQ(stat("apply_guard_skips"), 100u);
  EXPECT_EQ(stat("apply_guard_reads"), 0u);

  // Below the clock: read, and refused against the stored record ...
  std::vector<ReceivedOp> older = {PutOp("s5", "old", base + 14)};
  EXPECT_EQ(db_->Apply({}, kPeer, older)->applied, 0u);
  EXPECT_EQ(stat("apply_guard_reads"), 1u);
  EXPECT_EQ(GetOrMissing("s5"), "v");
  // ... or applied over an older one.
  std::vector<ReceivedOp> newer_than_local = {PutOp("local", "2", base + 1)};
  EXPECT_EQ(db_->Apply({}, kPeer, newer_than_local)->applied, 1u);
  EXPECT_EQ(GetOrMissing("local"), "2");
  // Within one call, the second write of a key is guarded by the first.
  std::vector<ReceivedOp> same_key = {PutOp("d", "first", base + 1000),
                                      PutOp("d", "second", base + 999),
                                      PutOp("d", "third", base + 1001)};
  absl::StatusOr<ApplyResult> r = db_->Apply({}, kPeer, same_key);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->applied, 2u);
  EXPECT_EQ(r->skipped, 1u);
  EXPECT_EQ(GetOrMissing("d"), "third");
  EXPECT_EQ(db_->GetRecord({}, "d")->version, (Version{base + 1001, kPeer}));
}

TEST_F(DbApplyTest, MetadataCommitsWithTheOps) {
  std::vector<MetadataUpdate> cursor = {{"peer.77.received", "41"}};
  ASSERT_TRUE(
      db_->Apply({}, kPeer, std::vector{PutOp("m", "v", 1000)}, cursor).ok());
  EXPECT_EQ(*db_->GetMetadata("peer.77.received"), "41");
  // Metadata alone (a cursor moving past skipped ops) commits too.
  cursor = {{"peer.77.received", "42"}};
  ASSERT_TRUE(db_->Apply({}, kPeer, {}, cursor).ok());
  EXPECT_EQ(*db_->GetMetadata("peer.77.received"), "42");
  ASSERT_TRUE(db_->PutMetadata({}, "other", "x").ok());
  Open();
  EXPECT_EQ(*db_->GetMetadata("peer.77.received"), "42");
  EXPECT_EQ(*db_->GetMetadata("other"), "x");
  EXPECT_TRUE(absl::IsNotFound(db_->GetMetadata("absent").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(db_->GetMetadata("").status()));
  // The caller's namespace is apart from the engine's own metadata.
  ASSERT_TRUE(db_->PutMetadata({}, "node_id", "junk").ok());
  Open();
  EXPECT_EQ(db_->node_id(), 5u);
}

TEST_F(DbApplyTest, RefusesBadInputAndWritesNothing) {
  const uint64_t seq = db_->LastSequence();
  EXPECT_TRUE(absl::IsInvalidArgument(
      db_->Apply({}, 0, std::vector{PutOp("a", "1", 10)}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      db_->Apply({}, kPeer, std::vector{PutOp("a", "1", 0)}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      db_->Apply({}, kPeer, std::vector{PutOp("a", "1", 10, 0)}).status()));
  std::vector<ReceivedOp> mixed = {PutOp("good", "1", 10), PutOp("", "1", 11)};
  absl::Status s = db_->Apply({}, kPeer, mixed).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("operation 1"), std::string_view::npos) << s;
  std::vector<ReceivedOp> bad_delete = {
      ReceivedOp{OpKind::kDelete, Version{10, kPeer}, "d", "value"}};
  EXPECT_TRUE(
      absl::IsInvalidArgument(db_->Apply({}, kPeer, bad_delete).status()));
  EXPECT_EQ(db_->LastSequence(), seq);
  EXPECT_TRUE(absl::IsNotFound(db_->GetRecord({}, "good").status()));
}

TEST_F(DbApplyTest, ReceivedDeleteIsATombstoneThatWinsByVersion) {
  ASSERT_TRUE(db_->Put({}, "t", "v").ok());
  Version v = db_->GetRecord({}, "t")->version;
  std::vector<ReceivedOp> del = {
      ReceivedOp{OpKind::kDelete, Version{v.hlc + 1, kPeer}, "t", {}}};
  ASSERT_EQ(db_->Apply({}, kPeer, del)->applied, 1u);
  std::string value;
  EXPECT_TRUE(absl::IsNotFound(db_->Get({}, "t", &value)));
  absl::StatusOr<Record> r = db_->GetRecord({}, "t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, OpKind::kDelete);
}

TEST_F(DbApplyTest, SnapshotSequenceIsExactUnderConcurrentWriters) {
  // Up to 18,000 operations, read from sequence 1 at every snapshot: the
  // trimmer must keep the whole log.
  db_.reset();
  db_ = testing::OpenTestDb(dir_.Sub("db"),
                            {{"node_id", "5"}, {"oplog.retain_ops", "0"}});
  ASSERT_NE(db_, nullptr);
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 3000 && !stop.load(); ++i) {
        WriteBatch b;
        b.Put("w" + std::to_string(t) + "." + std::to_string(i), "v");
        b.Put("w" + std::to_string(t) + ".last", std::to_string(i));
        ASSERT_TRUE(db_->Write({}, b).ok());
      }
    });
  }
  for (int round = 0; round < 50; ++round) {
    auto snap = db_->GetSnapshot();
    ASSERT_TRUE(snap.ok());
    const uint64_t seq = (*snap)->sequence();
    // Every batch up to the sequence is in the view with its own values, and
    // nothing after it: the batches end exactly at `seq`.
    auto batches = db_->ReadOpLogAt(**snap, 1, SIZE_MAX);
    ASSERT_TRUE(batches.ok()) << batches.status();
    uint64_t last = 0;
    for (const OpLogBatch& b : *batches) {
      for (const ShippedOp& op : b.ops) {
        EXPECT_EQ(op.sequence, last + 1);
        last = op.sequence;
      }
    }
    EXPECT_EQ(last, seq);
    if (!batches->empty()) {
      // The newest batch's ops are never superseded in its own snapshot.
      for (const ShippedOp& op : batches->back().ops) {
        EXPECT_FALSE(op.superseded) << op.key;
      }
    }
  }
  stop = true;
  for (auto& w : writers) w.join();
}

TEST_F(DbApplyTest, ReadOpLogAtShipsWholeBatchesWithTheirValues) {
  WriteBatch b1;
  b1.Put("a", "a1");
  b1.Put("b", "b1");
  ASSERT_TRUE(db_->Write({}, b1).ok());       // seq 1, 2
  ASSERT_TRUE(db_->Put({}, "a", "a2").ok());  // seq 3 supersedes seq 1
  auto snap = db_->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(db_->Put({}, "b", "after").ok());  // not in the snapshot
  auto batches = db_->ReadOpLogAt(**snap, 1, 100);
  ASSERT_TRUE(batches.ok()) << batches.status();
  ASSERT_EQ(batches->size(), 2u);
  const OpLogBatch& first = (*batches)[0];
  ASSERT_EQ(first.ops.size(), 2u);
  EXPECT_TRUE(first.ops[0].superseded);
  EXPECT_TRUE(first.ops[0].value.empty());
  EXPECT_FALSE(first.ops[1].superseded);
  EXPECT_EQ(first.ops[1].value, "b1");  // the snapshot's value, not "after"
  EXPECT_EQ((*batches)[1].ops[0].value, "a2");
  // A limit never splits a batch (beyond the first).
  auto limited = db_->ReadOpLogAt(**snap, 1, 1);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ((*limited)[0].ops.size(), 2u);
  // Starting inside a batch starts there.
  auto mid = db_->ReadOpLogAt(**snap, 2, 100);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ((*mid)[0].first_sequence, 2u);
  ASSERT_TRUE(db_->TrimOpLog(2).ok());
  EXPECT_TRUE(absl::IsOutOfRange(db_->ReadOpLogAt(**snap, 1, 10).status()));
}

// A sender never ships a peer its own writes, nor batches received from it,
// so their values are not read for it.
TEST_F(DbApplyTest, ReadOpLogAtLeavesOutWhatANodeIsNeverSent) {
  ASSERT_TRUE(db_->Put({}, "local", "l").ok());  // seq 1
  const uint64_t hlc = db_->GetRecord({}, "local")->version.hlc + 10;
  ASSERT_EQ(db_->Apply({}, kPeer, std::vector{PutOp("from77", "x", hlc)})
                ->applied,
            1u);  // seq 2, received from 77
  std::vector<ReceivedOp> relayed = {PutOp("by77", "y", hlc + 1, kPeer),
                                     PutOp("by78", "z", hlc + 2, 78)};
  ASSERT_EQ(db_->Apply({}, 78, relayed)->applied, 2u);  // seq 3-4, from 78
  auto snap = db_->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  for (uint32_t skip : {0u, kPeer}) {
    auto batches = db_->ReadOpLogAt(**snap, 1, 100, skip);
    ASSERT_TRUE(batches.ok()) << batches.status();
    ASSERT_EQ(batches->size(), 3u);
    const bool full = skip == 0;
    EXPECT_EQ((*batches)[0].ops[0].value, "l");
    EXPECT_EQ((*batches)[1].source, kPeer);
    EXPECT_EQ((*batches)[1].ops[0].key, "from77");
    EXPECT_EQ((*batches)[1].ops[0].value, full ? "x" : "") << skip;
    EXPECT_EQ((*batches)[2].ops[0].key, "by77");
    EXPECT_EQ((*batches)[2].ops[0].value, full ? "y" : "") << skip;
    EXPECT_EQ((*batches)[2].ops[1].value, "z");
    for (const OpLogBatch& b : *batches) {
      for (const ShippedOp& op : b.ops) EXPECT_FALSE(op.superseded) << op.key;
    }
  }
}

TEST_F(DbApplyTest, ScanRecordsIncludesTombstonesAndResumesByKey) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        db_->Put({}, "k" + std::to_string(i), "v" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(db_->Delete({}, "k3").ok());
  auto snap = db_->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(db_->Put({}, "k99", "after").ok());
  std::vector<KeyedRecord> all;
  std::string start;
  for (int calls = 0; calls < 20; ++calls) {
    auto page = db_->ScanRecords(**snap, start, 3, SIZE_MAX);
    ASSERT_TRUE(page.ok()) << page.status();
    for (auto& r : page->records) all.push_back(std::move(r));
    if (!page->resume_key) break;
    start = *page->resume_key;
  }
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[3].key, "k3");
  EXPECT_EQ(all[3].record.kind, OpKind::kDelete);
  EXPECT_EQ(all[4].record.value, "v4");
  EXPECT_FALSE(all[4].record.version.IsZero());
}

TEST_F(DbApplyTest, WaitForSequenceWakesOnCommitAndHonoursTheDeadline) {
  const uint64_t next = db_->LastSequence() + 1;
  EXPECT_FALSE(
      db_->WaitForSequence(next, absl::Now() + absl::Milliseconds(20)));
  // A lost wake-up would hold the waiter to its 60 s deadline.
  absl::Time start = absl::Now();
  std::thread waiter([&] {
    EXPECT_TRUE(db_->WaitForSequence(next, absl::Now() + absl::Seconds(60)));
  });
  ASSERT_TRUE(db_->Put({}, "wake", "up").ok());
  waiter.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_TRUE(db_->WaitForSequence(next, absl::InfinitePast()));
}

TEST_F(DbApplyTest, AWaiterForALaterSequenceReturnsWhenItIsReachedOrKicked) {
  const uint64_t next = db_->LastSequence() + 1;
  // A gathering sender waits for the third write; an eager one for the
  // next. The first commit brings only the eager one to its sequence.
  std::atomic<bool> gatherer_returned{false};
  bool gatherer_reached = true;
  uint64_t kicks = 0;
  std::thread gatherer([&] {
    gatherer_reached = db_->WaitForSequence(
        next + 100, absl::Now() + absl::Seconds(60), &kicks);
    gatherer_returned.store(true);
  });
  std::thread eager([&] {
    EXPECT_TRUE(db_->WaitForSequence(next, absl::Now() + absl::Seconds(60)));
  });
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  eager.join();  // a lost wake-up would hold it to its 60 s deadline
  EXPECT_FALSE(gatherer_returned.load());
  // A kick returns the gatherer, its sequence not reached, and moves its
  // count of kicks seen. Kicked until it returns (bounded: it may not have
  // started waiting yet, and a kick before its wait counts too).
  const absl::Time start = absl::Now();
  for (int i = 0; i < 3000 && !gatherer_returned.load(); ++i) {
    db_->WakeSequenceWaiters();
    absl::SleepFor(absl::Milliseconds(10));
  }
  gatherer.join();
  EXPECT_FALSE(gatherer_reached);
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_GE(kicks, 1u);
  // A kick between two waits is not lost: the next wait returns at once.
  db_->WakeSequenceWaiters();
  const absl::Time before = absl::Now();
  EXPECT_FALSE(db_->WaitForSequence(next + 100,
                                    absl::Now() + absl::Seconds(60), &kicks));
  EXPECT_LT(absl::Now() - before, absl::Seconds(30));
  // Without a new kick the same wait runs to its deadline.
  EXPECT_FALSE(db_->WaitForSequence(
      next + 100, absl::Now() + absl::Milliseconds(20), &kicks));
}

}  // namespace
}  // namespace cairn
