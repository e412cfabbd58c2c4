#include "plugin/sqlite/table_args.h"

#include "gtest/gtest.h"

namespace cairn::sqlite {
namespace {

bool Parse(std::vector<std::string_view> args, TableArgs* out,
           std::string* error) {
  return ParseTableArgs(args, out, error);
}

TEST(TableArgsTest, PathSyncAndCairnOptions) {
  TableArgs a;
  std::string error;
  ASSERT_TRUE(
      Parse({"path='/data/kv'", " create_if_missing = 1 ",
             "\"cache.capacity_mb\"=64", "sync=0", "compression=\"snappy\""},
            &a, &error))
      << error;
  EXPECT_EQ(a.path, "/data/kv");
  EXPECT_FALSE(a.sync);
  ASSERT_EQ(a.options.size(), 3u);
  EXPECT_EQ(a.options[0].first, "create_if_missing");
  EXPECT_EQ(a.options[0].second, "1");
  EXPECT_EQ(a.options[1].first, "cache.capacity_mb");
  EXPECT_EQ(a.options[1].second, "64");
  EXPECT_EQ(a.options[2].second, "snappy");
}

TEST(TableArgsTest, QuotesAreUnescaped) {
  TableArgs a;
  std::string error;
  ASSERT_TRUE(Parse({"path='/tmp/it''s = here'"}, &a, &error)) << error;
  EXPECT_EQ(a.path, "/tmp/it's = here");
  EXPECT_TRUE(a.sync);  // the default
}

TEST(TableArgsTest, ErrorsNameTheArgument) {
  TableArgs a;
  std::string error;
  EXPECT_FALSE(Parse({"create_if_missing=1"}, &a, &error));
  EXPECT_NE(error.find("missing required argument 'path'"), std::string::npos);
  EXPECT_FALSE(Parse({"path"}, &a, &error));
  EXPECT_NE(error.find("'path' is not name=value"), std::string::npos);
  EXPECT_FALSE(Parse({"path='/a'", "path='/b'"}, &a, &error));
  EXPECT_NE(error.find("given twice"), std::string::npos);
  EXPECT_FALSE(Parse({"path='/a'", "sync=maybe"}, &a, &error));
  EXPECT_NE(error.find("sync"), std::string::npos);
  EXPECT_NE(error.find("maybe"), std::string::npos);
  EXPECT_FALSE(Parse({"path='/a"}, &a, &error));
  EXPECT_NE(error.find("badly quoted"), std::string::npos);
  EXPECT_FALSE(Parse({"=1", "path='/a'"}, &a, &error));
  EXPECT_NE(error.find("empty"), std::string::npos);
  EXPECT_FALSE(Parse({"path=''"}, &a, &error));
  EXPECT_NE(error.find("'path' is empty"), std::string::npos);
}

}  // namespace
}  // namespace cairn::sqlite
