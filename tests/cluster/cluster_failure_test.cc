// SPEC C3 in the routing client, observed through Cluster::Nodes() against
// a fake clock: the shared counter, the tag past N, heartbeats to tagged
// nodes, a good reply clearing the tag, expiry; what counts as a failure.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/cluster/cluster_fixture.h"

namespace cairn::cluster::testing {
namespace {

using State = NodeInfo::State;

TEST_F(ClusterTest, EveryC3TransitionThroughNodes) {
  Open(Options(2));  // N = 2, validity 10 s; load choice
  EXPECT_EQ(Info(1).state, State::kUnknown);
  // Both report equal loads: the ranking is [1, 2] (ties: lower id), so
  // requests go to node 1 first and to node 2 on retry.
  cluster_->HeartbeatOnce();
  EXPECT_EQ(Info(1).state, State::kUp);
  node(1).SetMode(FakeNode::Mode::kFail);

  // A failed operation counts 1 and is retried on node 2.
  ASSERT_TRUE(cluster_->Put("a", "1").ok());
  EXPECT_EQ(Holder("a"), 2u);
  NodeInfo one = Info(1);
  EXPECT_EQ(one.failures, 1u);
  EXPECT_EQ(one.state, State::kUp);
  EXPECT_TRUE(absl::StrContains(one.last_error, "connection refused"))
      << one.last_error;
  EXPECT_EQ(Info(2).state, State::kUp);

  // A failed heartbeat counts on the same counter: 2, not above N yet.
  cluster_->HeartbeatOnce();
  one = Info(1);
  EXPECT_EQ(one.failures, 2u);
  EXPECT_EQ(one.state, State::kUp);
  EXPECT_TRUE(absl::StartsWith(one.last_error, "heartbeat: "))
      << one.last_error;

  // The third failure (> N) tags it for the validity period.
  ASSERT_TRUE(cluster_->Put("b", "1").ok());
  const absl::Time tagged_at = clock_.Now();
  one = Info(1);
  EXPECT_EQ(one.state, State::kTagged);
  EXPECT_EQ(one.failures, 3u);
  EXPECT_EQ(one.times_tagged, 1u);
  EXPECT_EQ(one.tag_expiry, tagged_at + absl::Seconds(10));

  // A tagged node gets no requests...
  const size_t ops = node(1).Ops();
  ASSERT_TRUE(cluster_->Put("c", "1").ok());
  EXPECT_EQ(node(1).Ops(), ops);
  EXPECT_EQ(Holder("c"), 2u);
  // ...but still heartbeats; a bad reply counts without extending the tag.
  const size_t statuses = node(1).Count(Method::kStatus);
  clock_.Advance(absl::Seconds(1));
  cluster_->HeartbeatOnce();
  EXPECT_EQ(node(1).Count(Method::kStatus), statuses + 1);
  one = Info(1);
  EXPECT_EQ(one.state, State::kTagged);
  EXPECT_EQ(one.failures, 4u);
  EXPECT_EQ(one.tag_expiry, tagged_at + absl::Seconds(10));

  // A good heartbeat reply removes the tag and the counter.
  node(1).SetMode(FakeNode::Mode::kServe);
  clock_.Advance(absl::Seconds(1));
  cluster_->HeartbeatOnce();
  one = Info(1);
  EXPECT_EQ(one.state, State::kUp);
  EXPECT_EQ(one.failures, 0u);
  EXPECT_EQ(one.tag_expiry, absl::InfinitePast());
  ASSERT_TRUE(cluster_->Put("d", "1").ok());
  EXPECT_EQ(Holder("d"), 1u);

  // Tagged again by heartbeats alone; the tag lapses at the validity
  // period, with a fresh counter, and the node is tried again.
  node(1).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(1);
  const absl::Time expiry = Info(1).tag_expiry;
  EXPECT_EQ(Info(1).times_tagged, 2u);
  clock_.Advance(expiry - clock_.Now() - absl::Milliseconds(1));
  EXPECT_EQ(Info(1).state, State::kTagged);
  clock_.Advance(absl::Milliseconds(1));
  one = Info(1);
  EXPECT_EQ(one.state, State::kUp);
  EXPECT_EQ(one.failures, 0u);
  node(1).SetMode(FakeNode::Mode::kServe);
  ASSERT_TRUE(cluster_->Put("e", "1").ok());
  EXPECT_EQ(Holder("e"), 1u);
}

TEST_F(ClusterTest, AGoodOperationResetsTheCounter) {
  Open(Options(2));
  node(1).SetMode(FakeNode::Mode::kFail);
  ASSERT_TRUE(cluster_->Put("a", "1").ok());
  EXPECT_EQ(Info(1).failures, 1u);
  node(1).SetMode(FakeNode::Mode::kServe);
  ASSERT_TRUE(cluster_->Put("b", "1").ok());
  EXPECT_EQ(Holder("b"), 1u);
  EXPECT_EQ(Info(1).failures, 0u);
  EXPECT_EQ(Info(1).state, State::kUp);
}

TEST_F(ClusterTest, AStallPastTheDeadlineCounts) {
  Open(Options(2));  // op timeout 50 ms
  node(1).SetMode(FakeNode::Mode::kStall);
  ASSERT_TRUE(cluster_->Put("a", "1").ok());
  EXPECT_EQ(Holder("a"), 2u);
  EXPECT_EQ(Info(1).failures, 1u);
  EXPECT_TRUE(absl::StrContains(Info(1).last_error, "DEADLINE_EXCEEDED"))
      << Info(1).last_error;
  // The transport got the operation timeout as its deadline.
  const std::vector<absl::Duration> left = node(1).DeadlinesLeft();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_LE(left[0], absl::Milliseconds(50));
  EXPECT_GT(left[0], absl::Milliseconds(40));
}

TEST_F(ClusterTest, GarbageRepliesCountAndNeverCrash) {
  Open(Options(2));
  node(1).SetMode(FakeNode::Mode::kGarbage);
  ASSERT_TRUE(cluster_->Put("a", "1").ok());
  EXPECT_EQ(Info(1).failures, 1u);
  EXPECT_TRUE(absl::StrContains(Info(1).last_error, "unknown status code 99"))
      << Info(1).last_error;
  node(1).SetMode(FakeNode::Mode::kWrongId);
  ASSERT_TRUE(cluster_->Put("b", "1").ok());
  EXPECT_EQ(Info(1).failures, 2u);
  EXPECT_TRUE(absl::StrContains(Info(1).last_error, "the reply is to request"))
      << Info(1).last_error;
  // A status reply from a node with another id is garbage too.
  node(1).SetMode(FakeNode::Mode::kServe);
  cluster_->HeartbeatOnce();  // clears
  EXPECT_EQ(Info(1).failures, 0u);
}

TEST_F(ClusterTest, FaultCodesCountOthersGoBackToTheCaller) {
  ClusterOptions o = Options(2);
  o.retries = 0;
  o.failure_threshold = 1000;
  Open(o);
  uint64_t failures = 0;
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kInternal,
        absl::StatusCode::kDataLoss, absl::StatusCode::kDeadlineExceeded,
        absl::StatusCode::kUnknown, absl::StatusCode::kResourceExhausted}) {
    node(1).SetError(code);
    const absl::Status s = cluster_->Put("k", "v");
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << code;
    EXPECT_TRUE(absl::StrContains(
        s.message(), absl::StrCat("answered ", absl::StatusCodeToString(code),
                                  ": fake error")))
        << s.message();
    EXPECT_EQ(Info(1).failures, ++failures) << code;
  }
  EXPECT_EQ(node(2).Ops(), 0u);  // retries 0: node 2 never asked
  for (absl::StatusCode code :
       {absl::StatusCode::kNotFound, absl::StatusCode::kInvalidArgument,
        absl::StatusCode::kFailedPrecondition, absl::StatusCode::kOutOfRange,
        absl::StatusCode::kAlreadyExists, absl::StatusCode::kAborted,
        absl::StatusCode::kPermissionDenied,
        absl::StatusCode::kUnimplemented}) {
    node(1).SetError(code);
    const absl::Status s = cluster_->Put("k", "v");
    EXPECT_EQ(s.code(), code);
    EXPECT_EQ(s.message(), "node 1: fake error");
    EXPECT_EQ(Info(1).failures, 0u) << code;  // a good reply: reset
  }
  EXPECT_EQ(node(2).Ops(), 0u);
}

TEST_F(ClusterTest, RetriesFollowThePolicy) {
  ClusterOptions o = Options(3);
  o.retries = 0;
  Open(o);
  for (uint32_t id : {1, 2, 3}) node(id).SetMode(FakeNode::Mode::kFail);
  absl::Status s = cluster_->Put("a", "1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(node(1).Ops(), 1u);
  EXPECT_EQ(node(2).Ops(), 0u);
  EXPECT_EQ(node(3).Ops(), 0u);
  EXPECT_TRUE(
      absl::StrContains(s.message(), "node 2 (127.0.0.1:7002): not tried"))
      << s.message();
  cluster_.reset();
  nodes_.clear();

  o.retries = 2;
  Open(o);
  for (uint32_t id : {1, 2, 3}) node(id).SetMode(FakeNode::Mode::kFail);
  s = cluster_->Put("a", "1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  for (uint32_t id : {1, 2, 3}) {
    EXPECT_EQ(node(id).Ops(), 1u) << id;
    EXPECT_TRUE(absl::StrContains(
        s.message(), absl::StrCat("node ", id, " (127.0.0.1:700", id,
                                  "): transport: UNAVAILABLE")))
        << s.message();
  }
  EXPECT_EQ(cluster_->stats().retries, 2u);
  EXPECT_EQ(cluster_->stats().faults, 3u);
}

TEST_F(ClusterTest, WhenNoNodeIsAvailableTheMessageSaysWhyForEach) {
  ClusterOptions o = Options(3);
  o.failure_threshold = 1;
  Open(o);
  node(1).SetMode(FakeNode::Mode::kFail);
  node(2).SetMode(FakeNode::Mode::kGarbage);
  node(3).SetRefuse(0);
  TagByHeartbeats(1);
  TagByHeartbeats(2);
  const std::string until = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ", Info(1).tag_expiry, absl::UTCTimeZone());
  absl::Status s = cluster_->Put("a", "1");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  const std::string m(s.message());
  EXPECT_TRUE(absl::StartsWith(m, "put: no node could serve it: ")) << m;
  EXPECT_TRUE(absl::StrContains(
      m, absl::StrCat("node 1 (127.0.0.1:7001): tagged failed until ", until,
                      " after 2 failures (last: heartbeat: transport: "
                      "UNAVAILABLE: connect to node 1: connection refused)")))
      << m;
  EXPECT_TRUE(absl::StrContains(m,
                                "node 2 (127.0.0.1:7002): tagged failed "
                                "until "))
      << m;
  EXPECT_TRUE(absl::StrContains(m, "unknown status code 99")) << m;
  EXPECT_TRUE(absl::StrContains(
      m,
      "node 3 (127.0.0.1:7003): refused: node 3 does not serve: not master "
      "(master: none)"))
      << m;

  // All three tagged: nothing is even tried.
  node(3).SetMode(FakeNode::Mode::kFail);
  TagByHeartbeats(3);
  const size_t ops3 = node(3).Ops();
  std::string value;
  s = cluster_->Get("a", &value);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(
      absl::StartsWith(s.message(), "get: no node is available: node 1"))
      << s.message();
  EXPECT_TRUE(absl::StrContains(s.message(), "node 3 (127.0.0.1:7003): tagged"))
      << s.message();
  EXPECT_EQ(node(3).Ops(), ops3);
}

TEST_F(ClusterTest, AFailureIsReportedToTheNode) {
  Open(Options(2));
  node(1).SetError(absl::StatusCode::kInternal);
  ASSERT_TRUE(cluster_->Put("a", "1").ok());
  node(1).SetMode(FakeNode::Mode::kServe);
  EXPECT_EQ(node(1).Count(Method::kReportFailure), 0u);  // queued, not sent
  cluster_->FlushReports();
  std::vector<ClientRequest> got = node(1).Requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].method, Method::kPut);
  EXPECT_EQ(got[1].method, Method::kReportFailure);
  EXPECT_EQ(got[1].client_id, "tester");
  EXPECT_EQ(got[1].failed_request_id, got[0].id);
  EXPECT_EQ(got[1].failure_reason, "answered INTERNAL: fake error");
  EXPECT_EQ(node(2).Count(Method::kReportFailure), 0u);
  EXPECT_EQ(cluster_->stats().reports_sent, 1u);

  // Best effort: a report's own outcome counts for nothing (the fault it
  // reports was counted already).
  EXPECT_EQ(Info(1).failures, 1u);
  node(1).SetMode(FakeNode::Mode::kFail);
  ASSERT_TRUE(cluster_->Put("b", "1").ok());
  EXPECT_EQ(Info(1).failures, 2u);
  cluster_->FlushReports();
  EXPECT_EQ(Info(1).failures, 2u);
  EXPECT_EQ(cluster_->stats().reports_failed, 1u);
}

TEST_F(ClusterTest, NodesAsJson) {
  ClusterOptions o = Options(2);
  o.failure_threshold = 1;
  Open(o);
  node(2).SetError(absl::StatusCode::kInternal, "bad \xff byte");
  TagByHeartbeats(2);
  const std::string json = NodesToJson(cluster_->Nodes());
  EXPECT_TRUE(absl::StartsWith(
      json,
      "[{\"id\":1,\"address\":\"127.0.0.1:7001\",\"state\":\"up\","
      "\"failures\":0,\"tag_expiry_us\":null,\"times_tagged\":0,"
      "\"last_error\":\"\",\"status_known\":true,\"capacity\":100,"
      "\"cached_bytes\":0,\"response_us\":0,\"ranked\":true,"
      "\"score\":1.0,\"serves\":true,\"master\":0,\"why\":\"\","
      "\"standby_position\":null},{\"id\":2,"))
      << json;
  EXPECT_TRUE(absl::StrContains(
      json, absl::StrCat("\"state\":\"tagged\",\"failures\":2,"
                         "\"tag_expiry_us\":",
                         absl::ToUnixMicros(Info(2).tag_expiry))))
      << json;
  // Invalid UTF-8 from the network is replaced, not thrown.
  EXPECT_TRUE(absl::StrContains(
      json,
      "\"last_error\":\"heartbeat: answered INTERNAL: bad \xef\xbf\xbd byte\""))
      << json;
}

TEST_F(ClusterTest, RequestsAfterCloseFail) {
  Open(Options(1));
  cluster_->Close();
  cluster_->Close();
  EXPECT_EQ(cluster_->Put("a", "1").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(node(1).Ops(), 0u);
}

}  // namespace
}  // namespace cairn::cluster::testing
