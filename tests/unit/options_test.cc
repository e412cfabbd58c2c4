#include "engine/options.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cairn {
namespace {

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

TEST(OptionsTest, DefaultsMatchTable) {
  Options o;
  for (const OptionSpec& spec : OptionTable()) {
    absl::StatusOr<std::string> v = GetOption(o, spec.name);
    ASSERT_TRUE(v.ok()) << spec.name;
    EXPECT_EQ(*v, spec.default_value) << spec.name;
  }
}

TEST(OptionsTest, SetsEveryType) {
  Options o;
  ASSERT_TRUE(SetOption(&o, "create_if_missing", "true").ok());
  EXPECT_TRUE(o.create_if_missing);
  ASSERT_TRUE(SetOption(&o, "create_if_missing", "off").ok());
  EXPECT_FALSE(o.create_if_missing);
  ASSERT_TRUE(SetOption(&o, "write_buffer_size", "1048576").ok());
  EXPECT_EQ(o.write_buffer_size, 1048576u);
  ASSERT_TRUE(SetOption(&o, "compression", "none").ok());
  EXPECT_EQ(o.compression, "none");
  EXPECT_EQ(*GetOption(o, "compression"), "none");
}

TEST(OptionsTest, UnknownNameIsRejectedByName) {
  Options o;
  absl::Status s = SetOption(&o, "cache.capacity_gb", "4");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(Msg(s).find("cache.capacity_gb"), std::string::npos) << Msg(s);
}

TEST(OptionsTest, BadValuesNameOptionAndValueAndLeaveOptionsUnchanged) {
  const struct {
    const char* name;
    const char* value;
  } cases[] = {
      {"write_buffer_size", "abc"},
      {"write_buffer_size", "-1"},
      {"write_buffer_size", " 100"},
      {"write_buffer_size", "12k"},
      {"write_buffer_size", ""},
      {"write_buffer_size", "1"},
      {"max_key_size", "0"},
      {"create_if_missing", "maybe"},
      {"compression", "zstd"},
      {"node_id", "4294967296"},
      {"max_open_files", "99999999999999999999999"},
  };
  for (const auto& c : cases) {
    Options o;
    absl::Status s = SetOption(&o, c.name, c.value);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
        << c.name << "=" << c.value;
    EXPECT_NE(Msg(s).find(c.name), std::string::npos) << Msg(s);
    EXPECT_NE(Msg(s).find(std::string("'") + c.value + "'"), std::string::npos)
        << Msg(s);
    EXPECT_EQ(OptionsToJson(o), OptionsToJson(Options())) << c.name;
  }
}

TEST(OptionsTest, JsonHasEveryOptionWithItsType) {
  nlohmann::json j = nlohmann::json::parse(OptionsToJson(Options()));
  for (const OptionSpec& spec : OptionTable()) {
    ASSERT_TRUE(j.contains(std::string(spec.name))) << spec.name;
  }
  EXPECT_TRUE(j["create_if_missing"].is_boolean());
  EXPECT_TRUE(j["write_buffer_size"].is_number_unsigned());
  EXPECT_EQ(j["compression"], "snappy");
}

// The README's option table is generated from the code's table; this keeps
// them from drifting apart.
TEST(OptionsTest, ReadmeListsTheOptionTable) {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find(OptionsMarkdownTable()), std::string::npos)
      << "README.md's option table is stale; regenerate it with "
         "scripts/update_readme_options. Expected:\n"
      << OptionsMarkdownTable();
}

}  // namespace
}  // namespace cairn
