// Refusals (cluster/refusal.h) and AuditParams (cluster/audit_params.cc).
#include "cluster/refusal.h"

#include "cluster/audit_log.h"
#include "gtest/gtest.h"

namespace cairn::cluster {
namespace {

TEST(RefusalTest, MessageNamesTheMasterAndParsesBack) {
  ClientRequest request;
  request.id = 42;
  ClientReply reply =
      RefusalReply(2, request, NodeRole::View{false, 1, "not master"});
  EXPECT_EQ(reply.id, 42u);
  EXPECT_EQ(reply.code, static_cast<uint32_t>(absl::StatusCode::kUnavailable));
  EXPECT_EQ(reply.message,
            "node 2 does not serve: not master (master: node 1)");
  Refusal r = ParseRefusal(reply);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.master, 1u);
  // Only the message survives a codec that does not carry the status.
  reply.status = NodeStatus{};
  r = ParseRefusal(reply);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.master, 1u);
  EXPECT_EQ(RefusalMessage(3, NodeRole::View{false, 0, "no lease"}),
            "node 3 does not serve: no lease (master: none)");
  reply.message = RefusalMessage(3, NodeRole::View{false, 0, ""});
  r = ParseRefusal(reply);
  EXPECT_TRUE(r.refused);
  EXPECT_EQ(r.master, 0u);
}

TEST(RefusalTest, OtherRepliesAreNotRefusals) {
  ClientReply reply;
  reply.code = static_cast<uint32_t>(absl::StatusCode::kUnavailable);
  reply.message = "disk full";
  EXPECT_FALSE(ParseRefusal(reply).refused);
  reply.code = static_cast<uint32_t>(absl::StatusCode::kInternal);
  reply.message = "node 2 does not serve: x (master: node 1)";
  EXPECT_FALSE(ParseRefusal(reply).refused);  // only Unavailable refuses
  reply.code = 0;
  EXPECT_FALSE(ParseRefusal(reply).refused);
  reply.code = static_cast<uint32_t>(absl::StatusCode::kUnavailable);
  reply.message = "node 2 does not serve: x (master: node 1x";
  EXPECT_EQ(ParseRefusal(reply).master, 0u);  // malformed: no master
}

TEST(AuditParamsTest, KeysCutAndEscapedValuesAsSizes) {
  ClientRequest r;
  r.method = Method::kPut;
  r.ops = {BatchOp{false, std::string("a\0b\n", 4), std::string(100, 'v')}};
  EXPECT_EQ(AuditParams(r, 64), "key=\"a\\000b\\n\" value_bytes=100");
  EXPECT_EQ(AuditParams(r, 2),
            "key=\"a\\000\"(truncated, 4 bytes) "
            "value_bytes=100");
  EXPECT_EQ(AuditParams(r, 0), "key=\"\"(truncated, 4 bytes) value_bytes=100");
  r.method = Method::kDelete;
  r.sync = true;
  EXPECT_EQ(AuditParams(r, 1), "key=\"a\"(truncated, 4 bytes) sync=true");
  r.method = Method::kStatus;
  EXPECT_EQ(AuditParams(r, 1), "");
  r.method = Method::kReportFailure;
  r.failed_request_id = 7;
  r.failure_reason = "boom";
  EXPECT_EQ(AuditParams(r, 1), "failed_request=7 reason_bytes=4");
  r.method = Method::kBatch;
  r.sync = false;
  r.ops.clear();
  EXPECT_EQ(AuditParams(r, 8), "ops=0 puts=0 deletes=0 bytes=0");
}

}  // namespace
}  // namespace cairn::cluster
