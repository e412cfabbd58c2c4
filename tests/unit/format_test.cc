#include "engine/format.h"

#include "gtest/gtest.h"

namespace cairn {
namespace {

TEST(FormatTest, RecordRoundTrip) {
  std::string enc;
  Version v{0x0102030405060708ull, 0xA1B2C3D4u};
  AppendRecord(&enc, OpKind::kPut, v, "hello");
  EXPECT_EQ(enc.size(), kRecordHeaderSize + 5);
  absl::StatusOr<RecordView> r = ParseRecord(enc);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, OpKind::kPut);
  EXPECT_EQ(r->version, v);
  EXPECT_EQ(r->value, "hello");
}

TEST(FormatTest, TombstoneRoundTrip) {
  std::string enc;
  AppendRecord(&enc, OpKind::kDelete, Version{7, 9}, "");
  absl::StatusOr<RecordView> r = ParseRecord(enc);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, OpKind::kDelete);
  EXPECT_EQ(r->version, (Version{7, 9}));
}

TEST(FormatTest, MalformedRecordsAreCorruption) {
  EXPECT_EQ(ParseRecord("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseRecord(std::string(12, '\1')).status().code(),
            absl::StatusCode::kDataLoss);
  std::string bad_kind(13, '\0');
  bad_kind[0] = 7;
  EXPECT_EQ(ParseRecord(bad_kind).status().code(), absl::StatusCode::kDataLoss);
  std::string tomb;
  AppendRecord(&tomb, OpKind::kDelete, Version{1, 1}, "");
  tomb += "x";
  EXPECT_EQ(ParseRecord(tomb).status().code(), absl::StatusCode::kDataLoss);
}

TEST(FormatTest, OpLogKeysSortBySequence) {
  EXPECT_LT(OpLogKey(1), OpLogKey(2));
  EXPECT_LT(OpLogKey(255), OpLogKey(256));
  EXPECT_LT(OpLogKey(0xFFFFFFFFull), OpLogKey(0x100000000ull));
  EXPECT_EQ(*ParseOpLogKey(OpLogKey(0x123456789ull)), 0x123456789ull);
  EXPECT_FALSE(ParseOpLogKey("o123").ok());
  EXPECT_FALSE(ParseOpLogKey(std::string("x") + std::string(8, '\0')).ok());
}

TEST(FormatTest, OpBatchRoundTrip) {
  std::string enc;
  OpBatchWriter w(&enc, 3);
  w.Add(OpKind::kPut, Version{40, 3}, "a");
  w.Add(OpKind::kDelete, Version{41, 3}, "bb");
  w.Add(OpKind::kPut, Version{42, 3}, std::string(300, 'k'));
  std::vector<OpEntry> ops;
  ASSERT_TRUE(ParseOpBatch(10, enc, 0, 100, &ops).ok());
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].sequence, 10u);
  EXPECT_EQ(ops[1].kind, OpKind::kDelete);
  EXPECT_EQ(ops[1].key, "bb");
  EXPECT_TRUE(ops[0].batch_continues);
  EXPECT_FALSE(ops[2].batch_continues);
  EXPECT_EQ(ops[2].version, (Version{42, 3}));
  EXPECT_EQ(ops[2].key.size(), 300u);
  EXPECT_EQ(*OpBatchCount(enc), 3u);
  // From the middle, with a limit.
  ops.clear();
  ASSERT_TRUE(ParseOpBatch(10, enc, 11, 1, &ops).ok());
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].sequence, 11u);
}

TEST(FormatTest, MalformedOpBatchesAreCorruptionAndAppendNothing) {
  std::string enc;
  OpBatchWriter w(&enc, 2);
  w.Add(OpKind::kPut, Version{1, 1}, "key");
  w.Add(OpKind::kPut, Version{2, 1}, "key2");
  std::vector<OpEntry> ops;
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    absl::Status s = ParseOpBatch(1, enc.substr(0, cut), 0, 100, &ops);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << cut;
    EXPECT_TRUE(ops.empty());
  }
  EXPECT_FALSE(ParseOpBatch(1, enc + "x", 0, 100, &ops).ok());
  std::string bad_format = enc;
  bad_format[0] = 9;
  EXPECT_FALSE(ParseOpBatch(1, bad_format, 0, 100, &ops).ok());
  EXPECT_FALSE(ParseOpBatch(UINT64_MAX, enc, 0, 100, &ops).ok());
  EXPECT_TRUE(ops.empty());
}

TEST(FormatTest, PrefixesSeparateKeySpaces) {
  EXPECT_EQ(DataKey("k")[0], kDataPrefix);
  EXPECT_EQ(MetaKey("k")[0], kMetaPrefix);
  // Data keys sort before every other key space, which iterators rely on.
  EXPECT_LT(DataKey(std::string(100, '\xff')), MetaKey(""));
  EXPECT_LT(DataKey(std::string(100, '\xff')), OpLogKey(0));
}

}  // namespace
}  // namespace cairn
