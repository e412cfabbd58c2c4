#include "engine/op_log_tail.h"

#include <string>
#include <vector>

#include "engine/db.h"
#include "gtest/gtest.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

std::vector<OpLogTail::Op> Ops(std::vector<std::string>* store, int n,
                               const std::string& prefix) {
  std::vector<OpLogTail::Op> ops;
  store->reserve(store->size() + 2 * n + 1);  // views stay valid
  for (int i = 0; i < n; ++i) {
    store->push_back(prefix + std::to_string(i));
    std::string_view key = store->back();
    store->push_back("value-" + prefix + std::to_string(i));
    ops.push_back({OpKind::kPut, Version{100u + i, 1}, key, store->back()});
  }
  return ops;
}

TEST(OpLogTailTest, ReadsWholeBatchesFromAnySequenceItHolds) {
  OpLogTail tail(1 << 20);
  std::vector<std::string> store;
  store.reserve(64);
  tail.Append(1, 0, Ops(&store, 3, "a"));  // 1..3
  tail.Append(4, 7, Ops(&store, 2, "b"));  // 4..5, received from node 7
  std::vector<OpLogBatch> out;
  ASSERT_TRUE(tail.Read(2, 5, 100, &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].first_sequence, 2u);  // from inside the first batch
  ASSERT_EQ(out[0].ops.size(), 2u);
  EXPECT_EQ(out[0].ops[0].key, "a1");
  EXPECT_EQ(out[0].ops[0].value, "value-a1");
  EXPECT_EQ(out[0].ops[0].sequence, 2u);
  EXPECT_EQ(out[1].source, 7u);
  EXPECT_EQ(out[1].ops[1].sequence, 5u);
  EXPECT_FALSE(out[1].ops[1].superseded);

  out.clear();
  ASSERT_TRUE(tail.Read(1, 3, 100, &out));  // not past what is published
  ASSERT_EQ(out.size(), 1u);
  out.clear();
  ASSERT_TRUE(tail.Read(1, 5, 4, &out));  // whole batches within the cap
  ASSERT_EQ(out.size(), 1u);
  out.clear();
  ASSERT_TRUE(tail.Read(1, 5, 1, &out));  // at least one batch
  ASSERT_EQ(out.size(), 1u);
  out.clear();
  EXPECT_TRUE(tail.Read(6, 5, 100, &out));  // nothing new: held, empty
  EXPECT_TRUE(out.empty());
}

TEST(OpLogTailTest, DropsTheOldestPastItsCapacityAndRestartsAtAGap) {
  OpLogTail tail(600);  // a few batches of ~250 bytes
  std::vector<std::string> store;
  store.reserve(256);
  uint64_t seq = 1;
  for (int b = 0; b < 10; ++b, seq += 2) {
    tail.Append(seq, 0, Ops(&store, 2, "k" + std::to_string(b) + "-"));
  }
  std::vector<OpLogBatch> out;
  EXPECT_FALSE(tail.Read(1, seq - 1, 100, &out));  // dropped: read the log
  EXPECT_TRUE(out.empty());
  EXPECT_GT(tail.first(), 1u);
  ASSERT_TRUE(tail.Read(seq - 2, seq - 1, 100, &out));
  EXPECT_EQ(out.size(), 1u);
  // A batch that does not follow the last one: nothing older may be read
  // as if it were contiguous with it.
  tail.Append(seq + 5, 0, Ops(&store, 1, "gap"));
  EXPECT_EQ(tail.first(), seq + 5);
  out.clear();
  EXPECT_FALSE(tail.Read(seq - 2, seq + 5, 100, &out));
}

TEST(OpLogTailTest, CountsWhatItHoldsAndStaysWithinItsCapacity) {
  constexpr size_t kCapacity = 64 << 10;
  OpLogTail tail(kCapacity);
  const std::string value(100, 'v');
  const std::string big(3 * kCapacity, 'b');
  uint64_t seq = 1;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "key-" + std::to_string(i);
    OpLogTail::Op op{OpKind::kPut, Version{1u + i, 1}, key, value};
    tail.Append(seq++, 0, absl::MakeConstSpan(&op, 1));
    const OpLogTail::Stats s = tail.GetStats();
    ASSERT_LE(s.bytes, kCapacity) << "after batch " << i;
    // Whatever the bookkeeping, a batch holds at least its key and value.
    ASSERT_GE(s.bytes, s.batches * (key.size() + value.size()));
  }
  OpLogTail::Stats s = tail.GetStats();
  EXPECT_EQ(s.capacity_bytes, kCapacity);
  EXPECT_GT(s.batches, 100u);  // most of the capacity is in use ...
  EXPECT_LT(s.batches, 2000u);  // ... and the oldest were dropped
  EXPECT_EQ(s.first_sequence, seq - s.batches);
  EXPECT_GT(s.bytes, kCapacity / 2);

  std::vector<OpLogBatch> out;
  EXPECT_FALSE(tail.Read(1, seq - 1, 10, &out));
  EXPECT_TRUE(tail.Read(seq - 1, seq - 1, 10, &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ops[0].key, "key-1999");
  EXPECT_EQ(out[0].ops[0].value, value);
  s = tail.GetStats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);

  // A batch larger than the capacity replaces everything and is kept.
  OpLogTail::Op op{OpKind::kPut, Version{5000, 1}, "big", big};
  tail.Append(seq, 0, absl::MakeConstSpan(&op, 1));
  s = tail.GetStats();
  EXPECT_EQ(s.batches, 1u);
  EXPECT_GT(s.bytes, big.size());
  out.clear();
  ASSERT_TRUE(tail.Read(seq, seq, 10, &out));
  EXPECT_EQ(out[0].ops[0].value, big);
}

TEST(OpLogTailTest, ReadsFromInsideABatchOfMixedSizes) {
  OpLogTail tail(1 << 20);
  const std::string long_value(1000, 'x');
  std::vector<OpLogTail::Op> ops = {
      {OpKind::kPut, Version{10, 1}, "a", long_value},
      {OpKind::kDelete, Version{11, 1}, "bb", ""},
      {OpKind::kPut, Version{12, 1}, "", "empty key is the caller's problem"},
      {OpKind::kPut, Version{13, 1}, "dddd", "v"},
  };
  tail.Append(7, 0, ops);  // 7..10
  for (uint64_t from = 7; from <= 10; ++from) {
    std::vector<OpLogBatch> out;
    ASSERT_TRUE(tail.Read(from, 10, 100, &out));
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].ops.size(), 11 - from);
    EXPECT_EQ(out[0].first_sequence, from);
    for (size_t i = 0; i < out[0].ops.size(); ++i) {
      const OpLogTail::Op& want = ops[from - 7 + i];
      const ShippedOp& got = out[0].ops[i];
      EXPECT_EQ(got.sequence, from + i);
      EXPECT_EQ(got.kind, want.kind);
      EXPECT_EQ(got.version, want.version);
      EXPECT_EQ(got.key, want.key);
      EXPECT_EQ(got.value, want.value);
    }
  }
}

TEST(OpLogTailTest, TheDbTailMatchesTheLog) {
  testing::TempDir dir;
  std::unique_ptr<Db> db =
      testing::OpenTestDb(dir.Sub("db"), {{"node_id", "3"}});
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Put({}, "before", "x").ok());  // not in the tail
  EXPECT_EQ(db->OpLogTailStats().capacity_bytes, 0u);  // off
  db->EnableOpLogTail(1 << 20);
  WriteBatch batch;
  batch.Put("b1", "v1");
  batch.Delete("b2");
  ASSERT_TRUE(db->Write({}, batch).ok());
  ASSERT_TRUE(db->Put({}, "p", "v2").ok());
  const OpLogTail::Stats stats = db->OpLogTailStats();
  EXPECT_EQ(stats.capacity_bytes, 1u << 20);
  EXPECT_EQ(stats.batches, 2u);
  EXPECT_EQ(stats.first_sequence, 2u);
  std::vector<OpLogBatch> out;
  EXPECT_FALSE(db->ReadOpLogTail(1, 100, &out));
  ASSERT_TRUE(db->ReadOpLogTail(2, 100, &out));
  auto snap = db->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  auto logged = db->ReadOpLogAt(**snap, 2, 100);
  ASSERT_TRUE(logged.ok()) << logged.status();
  ASSERT_EQ(out.size(), logged->size());
  for (size_t b = 0; b < out.size(); ++b) {
    EXPECT_EQ(out[b].first_sequence, (*logged)[b].first_sequence);
    ASSERT_EQ(out[b].ops.size(), (*logged)[b].ops.size());
    for (size_t i = 0; i < out[b].ops.size(); ++i) {
      const ShippedOp& a = out[b].ops[i];
      const ShippedOp& l = (*logged)[b].ops[i];
      EXPECT_EQ(a.sequence, l.sequence);
      EXPECT_EQ(a.kind, l.kind);
      EXPECT_EQ(a.version, l.version);
      EXPECT_EQ(a.key, l.key);
      EXPECT_EQ(a.value, l.value);
    }
  }
}

}  // namespace
}  // namespace cairn
