// The cluster harness with replication off: one `cairn serve` node driven
// through its control protocol, stopped cleanly, killed and restarted.
#include <gtest/gtest.h>

#include <string>

#include "tests/replication/cluster_harness.h"

namespace cairn::testing {
namespace {

ClusterOptions OneNode() {
  ClusterOptions o;
  o.nodes = 1;
  o.replication = false;
  return o;
}

TEST(ClusterSmokeTest, PutGetCountQuitThroughTheControlProtocol) {
  Cluster cluster(OneNode());
  ASSERT_TRUE(cluster.Start(0));
  EXPECT_EQ(cluster.port(0), 0);  // replication off: no listener
  EXPECT_EQ(cluster.Command(0, "put alpha 1"), "ok");
  EXPECT_EQ(cluster.Command(0, "put beta two\\x20words"), "ok");
  EXPECT_EQ(cluster.Command(0, "get alpha"), "ok 1");
  EXPECT_EQ(cluster.Command(0, "get beta"), "ok two\\x20words");
  EXPECT_EQ(cluster.Command(0, "count"), "ok 2");
  EXPECT_EQ(KeysOf(cluster.Command(0, "keys")),
            (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(cluster.Command(0, "del alpha"), "ok");
  EXPECT_EQ(cluster.Command(0, "get alpha").rfind("err NOT_FOUND ", 0), 0u);
  EXPECT_EQ(cluster.Command(0, "status"), "ok {\"enabled\":false}");
  EXPECT_EQ(cluster.Command(0, "peer-add 2@127.0.0.1:1").rfind("err ", 0), 0u);
  EXPECT_EQ(cluster.Command(0, "nonsense").rfind("err INVALID_ARGUMENT ", 0),
            0u);
  EXPECT_EQ(cluster.Command(0, "quit"), "ok");
  // quit closes cleanly: the process exits 0 by itself.
  ASSERT_TRUE(cluster.Stop(0));
}

TEST(ClusterSmokeTest, DataSurvivesStopAndKill) {
  Cluster cluster(OneNode());
  ASSERT_TRUE(cluster.Start(0));
  ASSERT_EQ(cluster.Command(0, "put k1 v1"), "ok");
  ASSERT_TRUE(cluster.Restart(0));  // SIGTERM: clean close, exit 0
  EXPECT_EQ(cluster.Command(0, "get k1"), "ok v1");
  ASSERT_EQ(cluster.Command(0, "put k2 v2"), "ok");
  ASSERT_TRUE(cluster.Kill(0));  // a crash
  EXPECT_FALSE(cluster.running(0));
  EXPECT_EQ(cluster.Command(0, "get k1").rfind("err HARNESS ", 0), 0u);
  ASSERT_TRUE(cluster.Start(0));
  EXPECT_EQ(cluster.Command(0, "count"), "ok 2");
}

TEST(ClusterSmokeTest, ABadOptionFailsTheStartNamingIt) {
  ClusterOptions o = OneNode();
  o.options = {"cache.capacity_mb=lots"};
  Cluster cluster(o);
  ::testing::AssertionResult r = cluster.Start(0);
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("cache.capacity_mb"),
            std::string::npos)
      << r.message();
  EXPECT_NE(std::string(r.message()).find("exit 2"), std::string::npos)
      << r.message();
}

}  // namespace
}  // namespace cairn::testing
