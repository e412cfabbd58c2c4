// Active mode, multi-process (issue 13): `cairn serve` nodes on loopback and
// the routing client (OpenCluster) in front of them.
//   - SPEC C3 through Cluster::Nodes(): a killed node is tagged once its
//     failures exceed the threshold; heartbeats go on; a tag lapses after its
//     validity; a good heartbeat reply from the restarted node removes it.
//   - SPEC C4: the load choice follows R when one node is slowed (a delay in
//     the fault proxies of its replication links, with sync replication,
//     makes its writes slow) and when it is fast again.
//   - SPEC B2: with an explicit slot table every key lands on its slot's
//     node and only there.
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "cluster/master_choice.h"
#include "cluster/node_client.h"
#include "gtest/gtest.h"
#include "tests/cluster/process_cluster.h"
#include "tests/support/temp_dir.h"

namespace cairn::cluster::testing {
namespace {

NodeInfo InfoOf(Cluster& client, uint32_t id) {
  for (const NodeInfo& n : client.Nodes()) {
    if (n.id == id) return n;
  }
  ADD_FAILURE() << "no node " << id;
  return NodeInfo{};
}

ClientRequest PutRequest(const std::string& key) {
  ClientRequest r;
  r.method = Method::kPut;
  r.ops.push_back({false, key, "v"});
  return r;
}

TEST(ActiveProcessTest, FailureTagsHeartbeatsAndRecovery) {
  HarnessOptions o;
  o.nodes = 2;
  o.options = FastPeerDetection();
  Harness harness(o);
  ClientFront front(2);
  ASSERT_TRUE(front.Start(harness, 0));
  ASSERT_TRUE(front.Start(harness, 1));
  const OptionList common = {{"cluster.nodes", front.Nodes()},
                             {"cluster.master_choice", "hash"},
                             {"cluster.op_timeout_ms", "300"},
                             {"cluster.heartbeat_interval_ms", "100"},
                             {"cluster.failure_threshold", "2"}};
  OptionList long_tag = common, short_tag = common;
  long_tag.push_back({"cluster.tag_validity_ms", "60000"});
  short_tag.push_back({"cluster.tag_validity_ms", "300"});
  std::unique_ptr<Cluster> client = OpenClient(long_tag);
  std::unique_ptr<Cluster> brief = OpenClient(short_tag);
  ASSERT_NE(client, nullptr);
  ASSERT_NE(brief, nullptr);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return InfoOf(*client, 2).state == NodeInfo::State::kUp &&
               InfoOf(*brief, 2).state == NodeInfo::State::kUp;
      },
      absl::Seconds(10)));

  ASSERT_TRUE(harness.Kill(1));
  NodeInfo tagged;
  ASSERT_TRUE(WaitUntil(
      [&] {
        tagged = InfoOf(*client, 2);
        return tagged.state == NodeInfo::State::kTagged;
      },
      absl::Seconds(10)))
      << "node 2 not tagged; failures " << tagged.failures;
  EXPECT_GT(tagged.failures, 2u);  // exceeds the threshold
  EXPECT_EQ(tagged.times_tagged, 1u);
  EXPECT_FALSE(tagged.last_error.empty());
  EXPECT_GT(tagged.tag_expiry, absl::Now() + absl::Seconds(50));
  EXPECT_EQ(InfoOf(*client, 1).state, NodeInfo::State::kUp);

  // Heartbeats go on to the tagged node; requests go to node 1.
  const uint64_t heartbeats = client->stats().heartbeats;
  EXPECT_TRUE(WaitUntil(
      [&] { return client->stats().heartbeats >= heartbeats + 6; },
      absl::Seconds(10)));
  EXPECT_EQ(InfoOf(*client, 2).state, NodeInfo::State::kTagged);
  EXPECT_GT(InfoOf(*client, 2).failures, tagged.failures);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(client->Put(absl::StrCat("k", i), "v").ok());
  }
  // With a 300 ms validity the tag lapses and the failing heartbeats tag
  // the node again.
  EXPECT_TRUE(WaitUntil([&] { return InfoOf(*brief, 2).times_tagged >= 2; },
                        absl::Seconds(10)))
      << "tagged " << InfoOf(*brief, 2).times_tagged << " times";

  // Back: a good heartbeat reply removes the tag long before it lapses.
  ASSERT_TRUE(front.Start(harness, 1));
  NodeInfo up;
  EXPECT_TRUE(WaitUntil(
      [&] {
        up = InfoOf(*client, 2);
        return up.state == NodeInfo::State::kUp;
      },
      absl::Seconds(10)));
  EXPECT_LT(absl::Now(), tagged.tag_expiry);
  EXPECT_EQ(up.failures, 0u);
  EXPECT_EQ(up.times_tagged, 1u);
  EXPECT_TRUE(up.status_known);
}

TEST(ActiveProcessTest, LoadChoiceFollowsTheResponseTime) {
  HarnessOptions o;
  o.nodes = 3;
  // Sync writes wait for a peer's acknowledgement, so a delay on a node's
  // replication links makes its writes, and its R, slow. No cache: C is 0
  // everywhere and W is equal, so R decides.
  o.options = {"replication.mode=sync", "replication.sync_acks=1",
               "replication.sync_timeout_ms=5000", "cache.capacity_mb=0"};
  Harness harness(o);
  ClientFront front(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(front.Start(harness, i));
  ::cairn::testing::BasicTempDir dir([](const std::string&) {});
  std::unique_ptr<Cluster> client =
      OpenClient({{"cluster.nodes", front.Nodes()},
                  {"cluster.master_choice", "load"},
                  {"cluster.load_refresh_ms", "200"},
                  {"cluster.heartbeat_interval_ms", "100"},
                  {"cluster.op_timeout_ms", "3000"},
                  {"audit.path", dir.Sub("audit")}});
  ASSERT_NE(client, nullptr);

  // Every node gets a response time from a few direct writes.
  std::vector<std::unique_ptr<NodeClient>> direct;
  for (int i = 0; i < 3; ++i) {
    direct.push_back(std::make_unique<NodeClient>(
        NodeAddress{static_cast<uint32_t>(i + 1), "127.0.0.1",
                    harness.port(i)},
        NodeClientOptions{}));
  }
  auto write_direct = [&](int i, int n, const std::string& prefix) {
    for (int k = 0; k < n; ++k) {
      absl::StatusOr<ClientReply> r = direct[i]->Call(
          PutRequest(absl::StrCat(prefix, i + 1, "-", k)),
          absl::Now() + absl::Seconds(5));
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->code, 0u) << r->message;
    }
  };
  for (int i = 0; i < 3; ++i) write_direct(i, 10, "warm");

  // Node 1 slowed: 40 ms each way on its links to its peers.
  harness.Proxy(0, 1).Delay(std::chrono::milliseconds(40));
  harness.Proxy(0, 2).Delay(std::chrono::milliseconds(40));
  write_direct(0, 12, "slow");
  NodeInfo n1;
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::vector<NodeInfo> nodes = client->Nodes();
        n1 = nodes[0];
        return n1.ranked && n1.response_us > 20000 &&
               n1.score < nodes[1].score && n1.score < nodes[2].score;
      },
      absl::Seconds(10)))
      << "node 1: R " << n1.response_us << " us, ranked " << n1.ranked;
  absl::Time t = absl::Now();
  for (int k = 0; k < 30; ++k) {
    ASSERT_TRUE(client->Put(absl::StrCat("routed-a", k), "v").ok());
  }
  std::map<std::string, uint32_t> served =
      ServedBy(client->audit_log(), "put", t);
  EXPECT_EQ(served.size(), 30u);
  for (const auto& [key, node] : served) EXPECT_NE(node, 1u) << key;

  // Node 1 fast again: cheap reads bring its R below the others' (theirs
  // come from sync writes), and the choice comes back to it.
  harness.Proxy(0, 1).Heal();
  harness.Proxy(0, 2).Heal();
  for (int k = 0; k < 150; ++k) {
    ClientRequest get;
    get.method = Method::kGet;
    get.ops.push_back({false, "warm1-0", ""});
    ASSERT_TRUE(direct[0]->Call(get, absl::Now() + absl::Seconds(5)).ok());
  }
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::vector<NodeInfo> nodes = client->Nodes();
        n1 = nodes[0];
        return n1.ranked && n1.score > nodes[1].score &&
               n1.score > nodes[2].score;
      },
      absl::Seconds(10)))
      << "node 1: R " << n1.response_us << " us";
  t = absl::Now();
  ASSERT_TRUE(client->Put("routed-b", "v").ok());
  EXPECT_EQ(ServedBy(client->audit_log(), "put", t)["routed-b"], 1u);
}

TEST(ActiveProcessTest, SlotTableRoutesEveryKeyToItsNodeOnly) {
  HarnessOptions o;
  o.nodes = 3;
  o.replication = false;  // each node keeps what it was sent
  for (int i = 0; i < 3; ++i) {
    o.node_options.push_back({"replication.node_id=" + std::to_string(i + 1),
                              "replication.listen=127.0.0.1:0"});
  }
  Harness harness(o);
  ClientFront front(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(front.Start(harness, i));
  constexpr uint32_t kSlots = 16;
  // Not the even split: slots 0-3 on node 2, 4-9 on node 3, 10-15 on 1.
  std::unique_ptr<Cluster> client =
      OpenClient({{"cluster.nodes", front.Nodes()},
                  {"cluster.master_choice", "slots"},
                  {"cluster.slots", std::to_string(kSlots)},
                  {"cluster.slot_table", "0-3:2,4-9:3,10-15:1"},
                  {"cluster.retries", "0"}});
  ASSERT_NE(client, nullptr);
  auto owner = [](uint32_t slot) -> int {  // 0-based node index
    return slot <= 3 ? 1 : slot <= 9 ? 2 : 0;
  };
  std::set<std::string> expected[3];
  for (int k = 0; k < 90; ++k) {
    const std::string key = absl::StrCat("s-", k);
    ASSERT_TRUE(client->Put(key, "v").ok()) << key;
    expected[owner(SlotOf(KeyHash(key), kSlots))].insert(key);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(expected[i].empty());
    EXPECT_EQ(KeysOn(harness, i, "s-"), expected[i]) << "node " << i + 1;
  }
  std::string value;
  EXPECT_TRUE(client->Get("s-7", &value).ok());
  EXPECT_EQ(value, "v");
}

}  // namespace
}  // namespace cairn::cluster::testing
