// Standby mode on the client side (SPEC C2): the first untagged serving
// node of the order serves; failover to the next; a tagged node goes to the
// back of the order; refusals name the master and are followed once.
#include <string>

#include "absl/strings/match.h"
#include "tests/cluster/cluster_fixture.h"

namespace cairn::cluster::testing {
namespace {

ClusterOptions Standby(int n, const std::string& order) {
  ClusterOptions o = ClusterTest::Options(n);
  o.mode = "standby";
  o.standby_order = order;
  o.failure_threshold = 1;
  return o;
}

TEST_F(ClusterTest, StandbyServesFromTheFirstOfTheOrder) {
  Open(Standby(3, "2,1,3"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("k", "v").ok()); }), 2u);
  }
  EXPECT_EQ(Info(2).standby_position, 0);
  EXPECT_EQ(Info(1).standby_position, 1);
  EXPECT_EQ(Info(3).standby_position, 2);
}

TEST_F(ClusterTest, StandbyFailsOverAndTheFailedNodeGoesToTheBack) {
  Open(Standby(3, "1,2,3"));  // N = 1
  node(1).SetMode(FakeNode::Mode::kFail);
  // The master fails: the request is retried on the next, node 2.
  ASSERT_TRUE(cluster_->Put("a", "1").ok());
  EXPECT_EQ(Holder("a"), 2u);
  EXPECT_EQ(Info(1).standby_position, 0);  // 1 failure: not tagged yet
  ASSERT_TRUE(cluster_->Put("b", "1").ok());
  EXPECT_EQ(Holder("b"), 2u);
  ASSERT_EQ(Info(1).state, NodeInfo::State::kTagged);
  EXPECT_EQ(Info(2).standby_position, 0);
  EXPECT_EQ(Info(3).standby_position, 1);
  EXPECT_EQ(Info(1).standby_position, 2);
  // Node 2 now first: node 1 is not asked at all.
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("c", "1").ok()); }), 2u);

  // Node 1 recovers (a good heartbeat clears its tag) and rejoins at the
  // end: the client stays with node 2.
  node(1).SetMode(FakeNode::Mode::kServe);
  cluster_->HeartbeatOnce();
  EXPECT_EQ(Info(1).state, NodeInfo::State::kUp);
  EXPECT_EQ(Info(1).standby_position, 2);
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("d", "1").ok()); }), 2u);

  // Node 2 fails: node 3 is next, then node 1.
  node(2).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(2);
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("e", "1").ok()); }), 3u);
  node(3).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(3);
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("f", "1").ok()); }), 1u);
}

TEST_F(ClusterTest, StandbyFollowsTheMasterARefusalNames) {
  Open(Standby(3, "1,2,3"));
  node(1).SetRefuse(3);
  node(2).SetRefuse(3);
  // 1 refuses naming 3: the client goes to 3 directly, skipping 2.
  ASSERT_TRUE(cluster_->Put("a", "1").ok());
  EXPECT_EQ(Holder("a"), 3u);
  EXPECT_EQ(node(2).Ops(), 0u);
  NodeInfo one = Info(1);
  EXPECT_EQ(one.failures, 0u);  // a refusal is not a failure
  EXPECT_FALSE(one.serves);
  EXPECT_EQ(one.master, 3u);
  EXPECT_TRUE(absl::StrContains(one.why, "not master (master: node 3)"))
      << one.why;
  EXPECT_EQ(cluster_->stats().refusals, 1u);
  // Node 1 is now known not to serve: the next request starts at 2 (never
  // heard from, assumed serving), which refuses and names 3.
  ASSERT_TRUE(cluster_->Put("b", "1").ok());
  EXPECT_EQ(Holder("b"), 3u);
  EXPECT_EQ(node(1).Ops(), 1u);
  EXPECT_EQ(node(2).Ops(), 1u);
  // From now on straight to 3.
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("c", "1").ok()); }), 3u);
  EXPECT_EQ(Info(2).failures, 0u);
}

TEST_F(ClusterTest, StandbyHeartbeatsSayWhoServes) {
  Open(Standby(3, "1,2,3"));
  node(1).SetServes(false, 2);
  node(3).SetServes(false, 2);
  cluster_->HeartbeatOnce();
  EXPECT_FALSE(Info(1).serves);
  EXPECT_EQ(Info(1).master, 2u);
  EXPECT_TRUE(Info(2).serves);
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("a", "1").ok()); }), 2u);
  // The master stops serving (e.g. its lease lapsed) and 3 takes over;
  // the heartbeat tells the client.
  node(2).SetServes(false, 3);
  node(3).SetServes(true, 3);
  cluster_->HeartbeatOnce();
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("b", "1").ok()); }), 3u);
}

TEST_F(ClusterTest, StandbyAsksNonServingNodesLastAndListsWhy) {
  Open(Standby(2, "1,2"));
  node(1).SetServes(false, 0);
  node(2).SetServes(false, 0);
  cluster_->HeartbeatOnce();
  // Nobody says it serves: both are asked (one may have taken over since),
  // in order; both refuse.
  node(1).SetRefuse(0);
  node(2).SetRefuse(0);
  absl::Status s = cluster_->Put("a", "1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(
      s.message(),
      "node 1 (127.0.0.1:7001): refused: node 1 does not serve: "
      "not master (master: none); node 2 (127.0.0.1:7002): "
      "refused: node 2 does not serve"))
      << s.message();
  // Node 2 took over: the first request finds it.
  node(2).SetMode(FakeNode::Mode::kServe);
  EXPECT_EQ(Target([&] { ASSERT_TRUE(cluster_->Put("b", "1").ok()); }), 0u)
      << "node 1 is asked (and refuses) before node 2 answers";
  EXPECT_EQ(Holder("b"), 2u);
}

}  // namespace
}  // namespace cairn::cluster::testing
