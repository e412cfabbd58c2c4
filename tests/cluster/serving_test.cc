// How a node serves clients by its options (cluster/serving.h): the standby
// sequence, option routing by name (cluster/host_options.h), and standby
// nodes without etcd applying the majority rule end to end — in-process
// Nodes with replication on loopback, NodeClients in front.
#include "cluster/serving.h"

#include <memory>
#include <string>

#include "cluster/host_options.h"
#include "cluster/node_client.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/replication/cluster_util.h"
#include "tests/support/temp_dir.h"

namespace cairn::cluster {
namespace {

using replication::testing::OptionList;
using replication::testing::WaitFor;

replication::NodeOptions Three(std::string order) {
  replication::NodeOptions o;
  o.replication.node_id = 2;
  o.replication.peers = "1@127.0.0.1:7001, 3@127.0.0.1:7003";
  o.serve.standby_order = std::move(order);
  return o;
}

void ExpectBad(const std::string& order, const std::string& names) {
  absl::StatusOr<std::vector<uint32_t>> s = StandbySequence(Three(order));
  ASSERT_FALSE(s.ok()) << order;
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(s.status().message().find("node.standby_order"), std::string::npos)
      << s.status();
  EXPECT_NE(s.status().message().find(names), std::string::npos) << s.status();
}

TEST(StandbySequenceTest, DefaultsToEveryNodeAscending) {
  absl::StatusOr<std::vector<uint32_t>> s = StandbySequence(Three(""));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (std::vector<uint32_t>{1, 2, 3}));
}

TEST(StandbySequenceTest, TakesAnOrderOfExactlyTheNodes) {
  absl::StatusOr<std::vector<uint32_t>> s = StandbySequence(Three("3, 1,2"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (std::vector<uint32_t>{3, 1, 2}));
}

TEST(StandbySequenceTest, RefusesWhatIsNotThatSet) {
  ExpectBad("1,2", "node 3 is missing");
  ExpectBad("1,2,3,4", "node 4 is neither");
  ExpectBad("1,2,2,3", "node 2 appears twice");
  ExpectBad("1,two,3", "'two' is not a node id");
  ExpectBad("0,1,2,3", "'0' is not a node id");
}

TEST(HostOptionsTest, RoutesEveryNameToItsTable) {
  HostOptions o;
  ASSERT_TRUE(SetHostOption(&o, "cluster.mode", "standby").ok());
  ASSERT_TRUE(SetHostOption(&o, "audit.key_bytes", "16").ok());
  ASSERT_TRUE(SetHostOption(&o, "coordination.etcd", "127.0.0.1:2379").ok());
  ASSERT_TRUE(SetHostOption(&o, "node.mode", "standby").ok());
  ASSERT_TRUE(SetHostOption(&o, "replication.node_id", "4").ok());
  EXPECT_EQ(o.cluster.mode, "standby");
  EXPECT_EQ(o.cluster.audit_key_bytes, 16u);
  EXPECT_EQ(o.coordination.etcd, "127.0.0.1:2379");
  EXPECT_EQ(o.node.serve.mode, "standby");
  EXPECT_EQ(o.node.replication.node_id, 4u);
  EXPECT_EQ(*GetHostOption(o, "coordination.etcd"), "127.0.0.1:2379");
  EXPECT_EQ(*GetHostOption(o, "node.mode"), "standby");

  absl::Status s = SetHostOption(&o, "node.mode", "primary");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("node.mode"), std::string::npos) << s;
  EXPECT_EQ(o.node.serve.mode, "standby");
  s = SetHostOption(&o, "coordination.nonsense", "1");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("coordination.nonsense"), std::string::npos) << s;
}

// The reply of node `id` to a put, through a fresh connection.
ClientReply PutTo(replication::testing::Cluster& c, uint32_t id) {
  NodeClient client(NodeAddress{id, "127.0.0.1", c.port(id)}, {});
  ClientRequest r;
  r.method = Method::kPut;
  r.client_id = "serving-test";
  r.ops.push_back({false, "k", "v"});
  absl::StatusOr<ClientReply> reply =
      client.Call(r, absl::Now() + absl::Seconds(5));
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? *reply : ClientReply{};
}

// Two standby nodes without etcd: node 1 (first) serves once it sees node
// 2; node 2 refuses naming node 1; alone, node 1 has no majority and stops.
TEST(ServingTest, StandbyWithoutEtcdFollowsTheMajorityRule) {
  replication::testing::Cluster c(
      2,
      OptionList{{"node.mode", "standby"}, {"replication.heartbeat_ms", "50"}});
  CoordinationOptions coordination;
  coordination.refresh_ms = 20;
  c.ServeClients(ServeClientsAs(coordination));
  // The harness tells nodes about later ones at run time; the standby
  // sequence is fixed at open, so reopen node 1 once node 2 exists.
  c.Open(1);
  c.Open(2);
  c.Close(1);
  c.Open(1);
  ASSERT_TRUE(WaitFor([&] { return PutTo(c, 1).code == 0; }))
      << PutTo(c, 1).message;
  ASSERT_TRUE(WaitFor([&] { return PutTo(c, 2).status.master == 1; }))
      << PutTo(c, 2).message;
  nlohmann::json clients =
      nlohmann::json::parse(*c.node(2).Property("cairn.clients"));
  EXPECT_EQ(clients["mode"], "standby");
  EXPECT_EQ(clients["coordination"], "majority");
  EXPECT_EQ(clients["standby_sequence"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(clients["status"]["master"], 1);
  EXPECT_EQ(clients["status"]["serves"], false);
  ClientReply refused = PutTo(c, 2);
  EXPECT_EQ(refused.code, static_cast<uint32_t>(absl::StatusCode::kUnavailable))
      << refused.message;

  c.Close(2);
  ASSERT_TRUE(WaitFor([&] { return PutTo(c, 1).code != 0; }));
  ClientReply alone = PutTo(c, 1);
  EXPECT_EQ(alone.code, static_cast<uint32_t>(absl::StatusCode::kUnavailable))
      << alone.message;
}

TEST(ServingTest, ABadStandbyOrderFailsTheOpen) {
  cairn::testing::TempDir dir;
  replication::NodeOptions o;
  o.engine.create_if_missing = true;
  o.replication.node_id = 1;
  o.replication.peers = "2@127.0.0.1:1";
  o.serve.mode = "standby";
  o.serve.standby_order = "1,9";
  absl::StatusOr<std::unique_ptr<replication::Node>> node =
      replication::Node::Open(o, dir.path() + "/db", DbEnv(),
                              ServeClientsAs(CoordinationOptions()));
  ASSERT_FALSE(node.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(node.status())) << node.status();
  EXPECT_NE(node.status().message().find("node.standby_order"),
            std::string::npos)
      << node.status();
}

}  // namespace
}  // namespace cairn::cluster
