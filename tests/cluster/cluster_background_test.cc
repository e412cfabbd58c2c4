// The Cluster's background threads on the real clock: heartbeats reach
// tagged nodes and clear their tag, failure reports are sent without being
// asked, Close() is prompt even while a heartbeat waits on a stalled node,
// and concurrent requests keep one audit record each. Every wait is bounded
// and waits for an event (a request arriving at a fake node), never a
// fixed time.
#include <thread>
#include <vector>

#include "tests/cluster/cluster_fixture.h"

namespace cairn::cluster::testing {
namespace {

constexpr absl::Duration kWait = absl::Seconds(20);

ClusterOptions Fast(int n) {
  ClusterOptions o = ClusterTest::Options(n);
  o.heartbeat_interval_ms = 10;
  o.failure_threshold = 1;
  o.tag_validity_ms = 600000;  // only a good reply can clear it here
  o.op_timeout_ms = 2000;
  return o;
}

TEST_F(ClusterTest, HeartbeatThreadReachesTaggedNodesAndClearsTheTag) {
  Open(Fast(2), /*background=*/true, /*fake_clock=*/false);
  node(1).SetMode(FakeNode::Mode::kFail);
  const size_t base = node(1).Count(Method::kStatus);
  // Two failed heartbeats tag it (N = 1); by the time the third arrives the
  // second was recorded.
  ASSERT_TRUE(node(1).WaitForCount(Method::kStatus, base + 3, kWait));
  ASSERT_EQ(Info(1).state, NodeInfo::State::kTagged);
  // Heartbeats keep going to the tagged node.
  ASSERT_TRUE(node(1).WaitForCount(Method::kStatus, base + 6, kWait));
  EXPECT_EQ(Info(1).state, NodeInfo::State::kTagged);
  // It answers again: the next good reply clears the tag (recorded by the
  // time the one after it arrives).
  node(1).SetMode(FakeNode::Mode::kServe);
  const size_t now = node(1).Count(Method::kStatus);
  ASSERT_TRUE(node(1).WaitForCount(Method::kStatus, now + 2, kWait));
  EXPECT_EQ(Info(1).state, NodeInfo::State::kUp);
  EXPECT_EQ(Info(1).failures, 0u);
}

TEST_F(ClusterTest, ReportThreadSendsFailureReports) {
  ClusterOptions o = Fast(2);
  o.mode = "standby";  // node 1 first while it is not tagged
  o.failure_threshold = 1000000;
  Open(o, /*background=*/true, /*fake_clock=*/false);
  node(1).SetError(absl::StatusCode::kInternal);
  ASSERT_TRUE(cluster_->Put("k", "v").ok());  // fails at 1, done at 2
  EXPECT_EQ(node(1).Ops(), 1u);
  EXPECT_EQ(node(2).Ops(), 1u);
  ASSERT_TRUE(node(1).WaitForCount(Method::kReportFailure, 1, kWait));
  const std::vector<ClientRequest> got = node(1).Requests();
  uint64_t put_id = 0;
  for (const ClientRequest& r : got) {
    if (r.method == Method::kPut) put_id = r.id;
  }
  for (const ClientRequest& r : got) {
    if (r.method == Method::kReportFailure) {
      EXPECT_EQ(r.failed_request_id, put_id);
    }
  }
}

TEST_F(ClusterTest, CloseIsPromptWhileAHeartbeatStalls) {
  ClusterOptions o = Fast(2);
  o.op_timeout_ms = 60000;  // a stalled call would hold Close for a minute
  Open(o, /*background=*/true, /*fake_clock=*/false);
  node(1).SetMode(FakeNode::Mode::kStall);
  const size_t base = node(1).Count(Method::kStatus);
  ASSERT_TRUE(node(1).WaitForCount(Method::kStatus, base + 1, kWait));
  const absl::Time start = absl::Now();
  cluster_->Close();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(ClusterTest, ConcurrentRequestsWhileANodeFlaps) {
  ClusterOptions o = Fast(3);
  o.retries = 2;
  o.failure_threshold = 2;
  o.tag_validity_ms = 20;
  o.op_timeout_ms = 1000;
  Open(o, /*background=*/true, /*fake_clock=*/false);
  constexpr int kThreads = 4;
  constexpr int kOps = 100;
  std::vector<std::thread> threads;
  std::vector<int> failed(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string value;
      for (int i = 0; i < kOps; ++i) {
        const std::string key = absl::StrCat("t", t, "-", i);
        if (!cluster_->Put(key, "v").ok()) ++failed[t];
        (void)cluster_->Get(key, &value);
        if (i % 10 == 0) (void)cluster_->Nodes();
      }
    });
  }
  for (int flip = 0; flip < 40; ++flip) {
    node(1).SetMode(flip % 2 == 0 ? FakeNode::Mode::kFail
                                  : FakeNode::Mode::kServe);
    (void)node(1).WaitForCount(Method::kStatus,
                               node(1).Count(Method::kStatus) + 1, kWait);
  }
  for (std::thread& t : threads) t.join();
  // Nodes 2 and 3 always answer and there are two retries: nothing fails.
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failed[t], 0) << t;
  EXPECT_EQ(audit_->Records().size(), 2u * kThreads * kOps);
  EXPECT_EQ(cluster_->stats().requests, 2u * kThreads * kOps);
}

}  // namespace
}  // namespace cairn::cluster::testing
