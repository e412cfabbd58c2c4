#include "plugin/sqlite/row_codec.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace cairn::sqlite {
namespace {

TEST(RowCodecTest, KeysOrderLikeSqliteBinary) {
  // TEXT before BLOB regardless of bytes; bytewise within a class, shorter
  // first on a common prefix.
  std::string text_b = EncodeKey(SqlType::kText, "b");
  std::string text_ab = EncodeKey(SqlType::kText, "ab");
  std::string text_a = EncodeKey(SqlType::kText, "a");
  std::string text_empty = EncodeKey(SqlType::kText, "");
  std::string blob_empty = EncodeKey(SqlType::kBlob, "");
  std::string blob_00 = EncodeKey(SqlType::kBlob, std::string("\0", 1));
  std::string blob_ab = EncodeKey(SqlType::kBlob, "ab");
  EXPECT_LT(text_empty, text_a);
  EXPECT_LT(text_a, text_ab);
  EXPECT_LT(text_ab, text_b);
  EXPECT_LT(text_b, blob_empty);
  EXPECT_LT(blob_empty, blob_00);
  EXPECT_LT(blob_00, blob_ab);
  EXPECT_NE(text_ab, blob_ab);  // 'ab' and x'6162' are different keys
  EXPECT_LT(std::string(kFormatKey), std::string(kFirstRowKey));
  EXPECT_LE(std::string(kFirstRowKey), text_empty);
}

TEST(RowCodecTest, KeyRoundTrip) {
  std::string bytes("a\0b", 3);
  // Decoded bytes borrow from the stored string: keep it alive.
  std::string stored = EncodeKey(SqlType::kBlob, bytes);
  auto k = DecodeKey(stored);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->type, SqlType::kBlob);
  EXPECT_EQ(k->bytes, bytes);
  std::string stored_text = EncodeKey(SqlType::kText, "");
  auto t = DecodeKey(stored_text);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->type, SqlType::kText);
  EXPECT_EQ(t->bytes, "");
  EXPECT_FALSE(DecodeKey("").has_value());
  EXPECT_FALSE(DecodeKey(std::string(kFormatKey)).has_value());
  EXPECT_FALSE(DecodeKey("zebra").has_value());
}

TEST(RowCodecTest, AppendKeyIsEncodeKeyBackToBack) {
  std::string keys = "prefix";
  AppendKey(SqlType::kText, "ab", &keys);
  AppendKey(SqlType::kBlob, std::string_view("\0z", 2), &keys);
  EXPECT_EQ(keys, "prefix" + EncodeKey(SqlType::kText, "ab") +
                      EncodeKey(SqlType::kBlob, std::string_view("\0z", 2)));
}

TEST(RowCodecTest, ValueRoundTripEveryType) {
  for (int64_t i : {int64_t{0}, int64_t{-1}, int64_t{42},
                    std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max()}) {
    SqlValue v;
    v.type = SqlType::kInteger;
    v.integer = i;
    std::string stored = EncodeValue(v);
    auto d = DecodeValue(stored);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->type, SqlType::kInteger);
    EXPECT_EQ(d->integer, i);
  }
  for (double r :
       {0.0, -0.0, 2.5, -1e300, std::numeric_limits<double>::infinity()}) {
    SqlValue v;
    v.type = SqlType::kReal;
    v.real = r;
    std::string stored = EncodeValue(v);
    auto d = DecodeValue(stored);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->type, SqlType::kReal);
    EXPECT_EQ(std::signbit(d->real), std::signbit(r));
    EXPECT_EQ(d->real, r);
  }
  SqlValue null_value;
  std::string stored_null = EncodeValue(null_value);
  auto n = DecodeValue(stored_null);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->type, SqlType::kNull);
  for (SqlType type : {SqlType::kText, SqlType::kBlob}) {
    SqlValue v;
    v.type = type;
    v.bytes = std::string_view("x\0y", 3);
    std::string stored = EncodeValue(v);
    auto d = DecodeValue(stored);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->type, type);
    EXPECT_EQ(d->bytes, v.bytes);
  }
}

TEST(RowCodecTest, MalformedValuesAreRejected) {
  EXPECT_FALSE(DecodeValue("").has_value());
  EXPECT_FALSE(DecodeValue("i1234567").has_value());    // 7 bytes
  EXPECT_FALSE(DecodeValue("r123456789").has_value());  // 9 bytes
  EXPECT_FALSE(DecodeValue("n!").has_value());
  EXPECT_FALSE(DecodeValue("?abc").has_value());
}

TEST(RowCodecTest, SuccessorIsImmediatelyAbove) {
  std::string k = EncodeKey(SqlType::kText, "m");
  std::string s = Successor(k);
  EXPECT_LT(k, s);
  EXPECT_LT(s, EncodeKey(SqlType::kText, std::string("m\x01", 2)));
  EXPECT_LT(s, EncodeKey(SqlType::kText, "n"));
}

}  // namespace
}  // namespace cairn::sqlite
