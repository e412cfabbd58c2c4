// Active-mode routing: master choice by load (only at the refresh
// interval), hash, consistent hash and slots; the audit record of every
// request.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "cluster/master_choice.h"
#include "tests/cluster/cluster_fixture.h"

namespace cairn::cluster::testing {
namespace {

// Loads (the table of MasterChoiceTest.LoadScoresDistinctValues):
// node |   W |   C |   R | score
//    1 | 100 | 500 | 300 | 1.00
//    2 | 200 | 100 | 200 | 2.25
//    3 | 300 | 300 | 100 | 2.75  <- master
// then node 3 slows down to R = 1000:
// node |   W |   C |    R | rank_asc(W) | rank_desc(C) | rank_desc(R) | score
//    1 | 100 | 500 |  300 |      1      |       1      |       2      | 1.50
//    2 | 200 | 100 |  200 |      2      |       3      |       3      | 2.75
//    3 | 300 | 300 | 1000 |      3      |       2      |       1      | 1.75
// -> node 2 is master, but only from the next refresh on.
TEST_F(ClusterTest, LoadChoiceFollowsLoadAtTheRefreshInterval) {
  Open(Options(3));  // load refresh 1 s
  node(1).SetLoad(100, 500, 300);
  node(2).SetLoad(200, 100, 200);
  node(3).SetLoad(300, 300, 100);
  cluster_->HeartbeatOnce();
  ASSERT_TRUE(cluster_->Put("k1", "v").ok());  // first refresh now
  EXPECT_EQ(Holder("k1"), 3u);
  std::vector<NodeInfo> nodes = cluster_->Nodes();
  EXPECT_TRUE(nodes[0].ranked);
  EXPECT_EQ(nodes[0].score, 1.0);
  EXPECT_EQ(nodes[1].score, 2.25);
  EXPECT_EQ(nodes[2].score, 2.75);
  EXPECT_EQ(nodes[2].capacity, 300u);
  EXPECT_EQ(nodes[2].cached_bytes, 300u);
  EXPECT_EQ(nodes[2].response_us, 100u);

  node(3).SetLoad(300, 300, 1000);
  cluster_->HeartbeatOnce();
  EXPECT_EQ(Info(3).response_us, 1000u);  // known, not yet ranked
  clock_.Advance(absl::Milliseconds(999));
  ASSERT_TRUE(cluster_->Put("k2", "v").ok());
  EXPECT_EQ(Holder("k2"), 3u);
  EXPECT_EQ(Info(3).score, 2.75);
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(cluster_->Put("k3", "v").ok());
  EXPECT_EQ(Holder("k3"), 2u);
  nodes = cluster_->Nodes();
  EXPECT_EQ(nodes[0].score, 1.5);
  EXPECT_EQ(nodes[1].score, 2.75);
  EXPECT_EQ(nodes[2].score, 1.75);
}

TEST_F(ClusterTest, LoadChoiceSkipsATaggedMasterAtOnce) {
  Open(Options(3));
  node(1).SetLoad(100, 500, 300);
  node(2).SetLoad(200, 100, 200);
  node(3).SetLoad(300, 300, 100);
  cluster_->HeartbeatOnce();
  ASSERT_TRUE(cluster_->Put("k1", "v").ok());
  EXPECT_EQ(Holder("k1"), 3u);
  node(3).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(3);
  // Before the next refresh: the next of the last ranking, 2.
  ASSERT_TRUE(cluster_->Put("k2", "v").ok());
  EXPECT_EQ(Holder("k2"), 2u);
  // At the refresh, ranks are recomputed over nodes 1 and 2 only.
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(cluster_->Put("k3", "v").ok());
  EXPECT_EQ(Holder("k3"), 2u);
  EXPECT_FALSE(Info(3).ranked);
}

TEST_F(ClusterTest, HashChoiceIsKeyHashModAvailableNodes) {
  ClusterOptions o = Options(3);
  o.master_choice = "hash";
  Open(o);
  std::vector<std::string> keys;
  for (int k = 0; k < 30; ++k) {
    const std::string key = absl::StrCat("user:", k);
    keys.push_back(key);
    EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put(key, "v").ok()); }),
              HashOrder(KeyHash(key), {1, 2, 3})[0])
        << key;
  }
  node(2).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(2);
  int moved_between_live_nodes = 0;
  for (const std::string& key : keys) {
    const uint32_t now_at =
        Target([&] { ASSERT_TRUE(cluster_->Put(key, "w").ok()); });
    EXPECT_EQ(now_at, HashOrder(KeyHash(key), {1, 3})[0]) << key;
    const uint32_t was = HashOrder(KeyHash(key), {1, 2, 3})[0];
    moved_between_live_nodes += was != 2 && was != now_at;
  }
  // Plain hashing reshuffles keys of live nodes too (documented).
  EXPECT_GT(moved_between_live_nodes, 0);
}

TEST_F(ClusterTest, ConsistentHashMovesOnlyTheLostNodesKeys) {
  ClusterOptions o = Options(3);
  o.master_choice = "consistent_hash";
  Open(o);
  std::map<std::string, uint32_t> before;
  for (int k = 0; k < 60; ++k) {
    const std::string key = absl::StrCat("k", k);
    before[key] = Target([&] { ASSERT_TRUE(cluster_->Put(key, "v").ok()); });
    EXPECT_EQ(before[key], RendezvousOrder(KeyHash(key), {1, 2, 3})[0]);
  }
  node(2).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(2);
  int moved = 0;
  for (const auto& [key, was] : before) {
    const uint32_t now_at =
        Target([&] { ASSERT_TRUE(cluster_->Delete(key).ok()); });
    if (was != 2) {
      EXPECT_EQ(now_at, was) << key;
    } else {
      ++moved;
      EXPECT_EQ(now_at, RendezvousOrder(KeyHash(key), {1, 2, 3})[1]) << key;
    }
  }
  EXPECT_GT(moved, 0);
  EXPECT_LT(moved, 60);
  // Node 2 back: its keys return to it, nothing else moves.
  node(2).SetMode(FakeNode::Mode::kServe);
  cluster_->HeartbeatOnce();
  for (const auto& [key, was] : before) {
    EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put(key, "v").ok()); }), was)
        << key;
  }
}

TEST_F(ClusterTest, SlotsRouteByTheTableAndNeverFallBack) {
  ClusterOptions o = Options(3);
  o.master_choice = "slots";
  o.slots = 4;
  o.slot_table = "0:1,1-2:2,3:3";
  o.retries = 3;
  Open(o);
  const std::vector<uint32_t> owner = {1, 2, 2, 3};
  std::map<uint32_t, std::string> key_of_slot;
  for (int k = 0; key_of_slot.size() < 4 && k < 1000; ++k) {
    const std::string key = absl::StrCat("s", k);
    key_of_slot.emplace(SlotOf(KeyHash(key), 4), key);
  }
  ASSERT_EQ(key_of_slot.size(), 4u);
  for (const auto& [slot, key] : key_of_slot) {
    EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put(key, "v").ok()); }),
              owner[slot])
        << "slot " << slot;
  }
  std::vector<AuditRecord> records = audit_->Records();
  ASSERT_EQ(records.size(), 4u);
  for (const AuditRecord& r : records) {
    EXPECT_EQ(r.node, owner[r.shard]) << r.params;
  }

  // Slot 1's node fails: a fault is not retried elsewhere...
  node(2).SetError(absl::StatusCode::kInternal);
  absl::Status s = cluster_->Put(key_of_slot[1], "w");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(node(1).Ops() + node(3).Ops(), 2u);
  // ...and once tagged, Unavailable names the slot and its node.
  node(2).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(2);
  s = cluster_->Put(key_of_slot[2], "w");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(
      s.message(), "put: slot 2 belongs to node 2, tagged failed until "))
      << s.message();
  EXPECT_EQ(node(1).Ops() + node(3).Ops(), 2u);
  records = audit_->Records();
  EXPECT_EQ(records.back().shard, 2);
  EXPECT_EQ(records.back().node, 0u);
  EXPECT_EQ(records.back().outcome, "UNAVAILABLE");
  // Other slots still work.
  ASSERT_TRUE(cluster_->Put(key_of_slot[3], "w").ok());

  // A batch is applied by one node: keys of different nodes are refused.
  s = cluster_->Write({BatchOp{false, key_of_slot[0], "x"},
                       BatchOp{false, key_of_slot[3], "y"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StrContains(s.message(), "slot 0 of node 1, slot 3 of node 3"))
      << s.message();
  ASSERT_TRUE(cluster_
                  ->Write({BatchOp{false, key_of_slot[3], "x"},
                           BatchOp{true, key_of_slot[3], ""}})
                  .ok());
}

TEST_F(ClusterTest, EveryRequestLeavesOneAuditRecord) {
  ClusterOptions o = Options(2);
  o.audit_key_bytes = 4;
  Open(o);
  std::string value;
  ASSERT_TRUE(cluster_->Put("k1", "vv", /*sync=*/true).ok());
  ASSERT_TRUE(cluster_->Get("k1", &value).ok());
  EXPECT_EQ(value, "vv");
  EXPECT_EQ(cluster_->Get("absent-key", &value).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(cluster_->Delete("k1").ok());
  ASSERT_TRUE(
      cluster_->Write({BatchOp{false, "a", "123"}, BatchOp{true, "b", ""}})
          .ok());
  absl::StatusOr<ScanResult> scan = cluster_->Scan("a", "z", 10);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->entries.size(), 1u);
  EXPECT_EQ(cluster_->Scan("a", "z", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  node(1).SetMode(FakeNode::Mode::kFail);
  clock_.Advance(absl::Seconds(1));
  const absl::Time last_start = clock_.Now();
  ASSERT_TRUE(cluster_->Put("k2", "v").ok());  // retried on node 2

  const std::vector<AuditRecord> r = audit_->Records();
  ASSERT_EQ(r.size(), 8u);
  const std::vector<std::string> methods = {"put",   "get",  "get",  "delete",
                                            "batch", "scan", "scan", "put"};
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].method, methods[i]) << i;
    EXPECT_EQ(r[i].client_id, "tester") << i;
    EXPECT_EQ(r[i].shard, -1) << i;
    EXPECT_LE(r[i].start, r[i].end) << i;
  }
  EXPECT_EQ(r[0].params, "key=\"k1\" value_bytes=2 sync");
  EXPECT_EQ(r[0].node, 1u);
  EXPECT_EQ(r[0].client_address, "127.0.0.1:50001");
  EXPECT_EQ(r[0].outcome, "OK");
  EXPECT_EQ(r[0].message, "");
  EXPECT_EQ(r[2].params, "key=\"abse\"...(10 bytes)");
  EXPECT_EQ(r[2].outcome, "NOT_FOUND");
  EXPECT_EQ(r[4].params,
            "ops=2 puts=1 deletes=1 value_bytes=3 first_key=\"a\"");
  EXPECT_EQ(r[5].params, "start=\"a\" end=\"z\" limit=10");
  EXPECT_EQ(r[6].outcome, "INVALID_ARGUMENT");  // refused before routing
  EXPECT_EQ(r[6].node, 0u);
  EXPECT_EQ(r[6].client_address, "");
  EXPECT_EQ(r[7].node, 2u);  // the node that answered
  EXPECT_EQ(r[7].client_address, "127.0.0.1:50002");
  EXPECT_EQ(r[7].outcome, "OK");
  EXPECT_EQ(r[7].start, last_start);
  EXPECT_EQ(cluster_->stats().audit_records, 8u);
  EXPECT_EQ(cluster_->stats().requests, 8u);
}

}  // namespace
}  // namespace cairn::cluster::testing
