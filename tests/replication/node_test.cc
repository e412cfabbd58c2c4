#include "replication/node.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "replication/options.h"
#include "tests/unit/test_util.h"

namespace cairn::replication {
namespace {

TEST(NodeOptionsTest, EngineNamesGoToTheEngineTable) {
  NodeOptions o;
  ASSERT_TRUE(SetNodeOption(&o, "cache.instances", "2").ok());
  EXPECT_EQ(o.engine.cache_instances, 2u);
  EXPECT_EQ(*GetNodeOption(o, "cache.instances"), "2");
  absl::Status s = SetNodeOption(&o, "cache.instances", "0");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("cache.instances"), std::string_view::npos);
  EXPECT_EQ(o.engine.cache_instances, 2u);
}

TEST(NodeOptionsTest, ReplicationNamesGoToTheReplicationTable) {
  NodeOptions o;
  ASSERT_TRUE(SetNodeOption(&o, "replication.peers", "2@127.0.0.1:7001").ok());
  EXPECT_EQ(o.replication.peers, "2@127.0.0.1:7001");
  EXPECT_EQ(*GetNodeOption(o, "replication.mode"), "async");
  // An unknown replication.* name is refused by the replication table.
  absl::Status s = SetNodeOption(&o, "replication.nope", "1");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("'replication.nope'"), std::string_view::npos)
      << s;
  EXPECT_TRUE(absl::IsInvalidArgument(
      SetNodeOption(&o, "replication.mode", "eventually")));
}

TEST(NodeOptionsTest, JsonListsEveryOptionOfBothLayers) {
  NodeOptions o;
  nlohmann::json j = nlohmann::json::parse(NodeOptionsToJson(o));
  EXPECT_EQ(j.size(), OptionTable().size() + ReplicationOptionTable().size());
  for (const OptionSpec& spec : OptionTable()) {
    EXPECT_TRUE(j.contains(std::string(spec.name))) << spec.name;
  }
}

TEST(NodeTest, ForwardsToTheEngineAndAnswersCairnOptions) {
  testing::TempDir dir;
  NodeOptions o;
  o.engine.create_if_missing = true;
  o.engine.cache_capacity_mb = 0;
  auto node = Node::Open(o, dir.Sub("db"));
  ASSERT_TRUE(node.ok()) << node.status();
  ASSERT_TRUE((*node)->Put({}, "k", "v").ok());
  std::string v;
  ASSERT_TRUE((*node)->Get({}, "k", &v).ok());
  EXPECT_EQ(v, "v");
  EXPECT_EQ((*node)->engine().LastSequence(), 1u);
  auto props = (*node)->Property("cairn.options");
  ASSERT_TRUE(props.ok());
  EXPECT_EQ(nlohmann::json::parse(*props)["cache.capacity_mb"], 0);
  EXPECT_TRUE((*node)->Property("cairn.stats").ok());
}

}  // namespace
}  // namespace cairn::replication
