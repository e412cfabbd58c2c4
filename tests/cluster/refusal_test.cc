// Refusals (cluster/refusal.h). AuditParams is tested in audit_log_test.cc.
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

}  // namespace
}  // namespace cairn::cluster
