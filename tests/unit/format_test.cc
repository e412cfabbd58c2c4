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

TEST(FormatTest, OpEntryRoundTripWithBatchFlag) {
  std::string enc;
  AppendOpEntry(&enc, OpKind::kDelete, true, Version{42, 3}, "key");
  absl::StatusOr<OpEntry> e = ParseOpEntry(5, enc);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->sequence, 5u);
  EXPECT_EQ(e->kind, OpKind::kDelete);
  EXPECT_TRUE(e->batch_continues);
  EXPECT_EQ(e->version, (Version{42, 3}));
  EXPECT_EQ(e->key, "key");
  EXPECT_FALSE(ParseOpEntry(1, enc.substr(0, 13)).ok());  // no key
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
