// The cluster.* / audit.* option table and ValidateCluster: defaults, every
// derived field, and every refusal naming its culprit.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster/options.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace cairn::cluster {
namespace {

ClusterOptions Three() {
  ClusterOptions o;
  o.nodes = "1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003";
  return o;
}

// The status is InvalidArgument and its message names `option` and
// contains `fragment`.
void ExpectRefused(const ClusterOptions& o, const std::string& option,
                   const std::string& fragment) {
  absl::StatusOr<ClusterConfig> c = ValidateCluster(o);
  ASSERT_FALSE(c.ok()) << option << " / " << fragment;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(c.status().message(), option))
      << c.status().message();
  EXPECT_TRUE(absl::StrContains(c.status().message(), fragment))
      << c.status().message();
}

TEST(ClusterOptionsTest, TableDefaultsMatchTheStruct) {
  const ClusterOptions defaults;
  for (const ClusterOptionSpec& spec : ClusterOptionTable()) {
    absl::StatusOr<std::string> v = GetClusterOption(defaults, spec.name);
    ASSERT_TRUE(v.ok()) << spec.name;
    EXPECT_EQ(*v, spec.default_value) << spec.name;
    EXPECT_TRUE(IsClusterOptionName(spec.name)) << spec.name;
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
  }
  EXPECT_FALSE(IsClusterOptionName("replication.peers"));
}

TEST(ClusterOptionsTest, SetByNameChecksTypesAndRanges) {
  ClusterOptions o;
  ASSERT_TRUE(SetClusterOption(&o, "cluster.mode", "standby").ok());
  EXPECT_EQ(o.mode, "standby");
  EXPECT_FALSE(SetClusterOption(&o, "cluster.mode", "passive").ok());
  EXPECT_EQ(o.mode, "standby");  // unchanged
  EXPECT_FALSE(SetClusterOption(&o, "cluster.master_choice", "random").ok());
  EXPECT_FALSE(SetClusterOption(&o, "cluster.op_timeout_ms", "0").ok());
  EXPECT_FALSE(SetClusterOption(&o, "cluster.op_timeout_ms", "-5").ok());
  EXPECT_FALSE(SetClusterOption(&o, "cluster.tag_validity_ms", "0").ok());
  EXPECT_FALSE(SetClusterOption(&o, "cluster.heartbeat_interval_ms", "0").ok());
  EXPECT_FALSE(SetClusterOption(&o, "cluster.failure_threshold", "0").ok());
  EXPECT_FALSE(SetClusterOption(&o, "cluster.no_such", "1").ok());
  ASSERT_TRUE(SetClusterOption(&o, "audit.sync", "true").ok());
  EXPECT_TRUE(o.audit_sync);
  EXPECT_TRUE(
      absl::StrContains(ClusterOptionsToJson(o), "\"audit.sync\":true"));
  EXPECT_TRUE(absl::StrContains(ClusterOptionsMarkdown(),
                                "| `cluster.master_choice` |"))
      << ClusterOptionsMarkdown();
}

TEST(ClusterOptionsTest, ValidateDerivesTheConfig) {
  ClusterOptions o = Three();
  o.client_id = "me";
  o.op_timeout_ms = 250;
  o.failure_threshold = 4;
  o.tag_validity_ms = 9000;
  o.heartbeat_interval_ms = 100;
  o.load_refresh_ms = 2000;
  o.retries = 2;
  o.audit_path = "/tmp/audit";
  o.audit_key_bytes = 8;
  o.audit_retention_hours = 2;
  o.audit_retention_mb = 3;
  absl::StatusOr<ClusterConfig> c = ValidateCluster(o);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->nodes.size(), 3u);
  EXPECT_EQ(c->nodes[1].id, 2u);
  EXPECT_EQ(c->nodes[1].host, "127.0.0.1");
  EXPECT_EQ(c->nodes[1].port, 7002);
  EXPECT_EQ(c->cluster_id, "cairn");
  EXPECT_EQ(c->client_id, "me");
  EXPECT_EQ(c->mode, ClusterMode::kActive);
  EXPECT_EQ(c->choice, MasterChoice::kLoad);
  EXPECT_TRUE(c->slot_owner.empty());  // not slots, no table
  EXPECT_EQ(c->standby_order, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(c->op_timeout, absl::Milliseconds(250));
  EXPECT_EQ(c->failure_threshold, 4u);
  EXPECT_EQ(c->tag_validity, absl::Seconds(9));
  EXPECT_EQ(c->heartbeat_interval, absl::Milliseconds(100));
  EXPECT_EQ(c->load_refresh, absl::Seconds(2));
  EXPECT_EQ(c->retries, 2u);
  EXPECT_EQ(c->audit_path, "/tmp/audit");
  EXPECT_EQ(c->audit.key_bytes, 8u);
  EXPECT_EQ(c->audit.retention_age, absl::Hours(2));
  EXPECT_EQ(c->audit.retention_bytes, 3u << 20);
}

TEST(ClusterOptionsTest, DefaultClientIdIsHostAndPid) {
  absl::StatusOr<ClusterConfig> c = ValidateCluster(Three());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(absl::EndsWith(c->client_id, absl::StrCat(":", getpid())))
      << c->client_id;
  EXPECT_GT(c->client_id.size(), absl::StrCat(":", getpid()).size());
}

TEST(ClusterOptionsTest, ModesAndChoices) {
  ClusterOptions o = Three();
  o.mode = "standby";
  o.standby_order = "3, 1,2";
  for (const char* choice : {"load", "hash", "consistent_hash", "slots"}) {
    o.master_choice = choice;
    absl::StatusOr<ClusterConfig> c = ValidateCluster(o);
    ASSERT_TRUE(c.ok()) << choice << ": " << c.status();
    EXPECT_EQ(MasterChoiceName(c->choice), choice);
    EXPECT_EQ(c->mode, ClusterMode::kStandby);
    EXPECT_EQ(c->standby_order, (std::vector<uint32_t>{3, 1, 2}));
  }
  ExpectRefused((o.mode = "passive", o), "cluster.mode", "passive");
  o.mode = "active";
  ExpectRefused((o.master_choice = "random", o), "cluster.master_choice",
                "random");
}

TEST(ClusterOptionsTest, NodeListRefusals) {
  ClusterOptions o;
  ExpectRefused(o, "cluster.nodes", "no node");
  ExpectRefused((o.nodes = "1@127.0.0.1:7001,1@127.0.0.1:7002", o),
                "cluster.nodes", "node id 1 appears twice");
  ExpectRefused((o.nodes = "127.0.0.1:7001", o), "cluster.nodes",
                "expected id@host:port");
  ExpectRefused((o.nodes = "0@127.0.0.1:7001", o), "cluster.nodes", "id");
  ExpectRefused((o.nodes = "1@127.0.0.1:0", o), "cluster.nodes", "port 0");
  ExpectRefused((o.nodes = "1@example.com:7001", o), "cluster.nodes",
                "not an IP address");
  std::string many;
  for (int i = 1; i <= 257; ++i) {
    absl::StrAppend(&many, i > 1 ? "," : "", i, "@127.0.0.1:", 1000 + i);
  }
  ExpectRefused((o.nodes = many, o), "cluster.nodes", "at most 256");
}

TEST(ClusterOptionsTest, ZeroAndOutOfRangeIntegersAreRefusedAtValidate) {
  // A struct filled in directly, bypassing SetClusterOption's checks.
  ClusterOptions o = Three();
  ExpectRefused((o.op_timeout_ms = 0, o), "cluster.op_timeout_ms", "[1, ");
  o = Three();
  ExpectRefused((o.tag_validity_ms = 0, o), "cluster.tag_validity_ms", "'0'");
  o = Three();
  ExpectRefused((o.heartbeat_interval_ms = 0, o),
                "cluster.heartbeat_interval_ms", "'0'");
  o = Three();
  ExpectRefused((o.failure_threshold = 0, o), "cluster.failure_threshold",
                "'0'");
  o = Three();
  ExpectRefused((o.load_refresh_ms = 0, o), "cluster.load_refresh_ms", "'0'");
  o = Three();
  ExpectRefused((o.slots = 0, o), "cluster.slots", "'0'");
  o = Three();
  ExpectRefused((o.retries = 1000, o), "cluster.retries", "'1000'");
  o = Three();
  ExpectRefused((o.id = "", o), "cluster.id", "1 to 255 bytes");
  o = Three();
  ExpectRefused((o.client_id = std::string(300, 'c'), o), "cluster.client_id",
                "at most 255 bytes");
}

TEST(ClusterOptionsTest, SlotTableIsParsed) {
  ClusterOptions o = Three();
  o.master_choice = "slots";
  o.slots = 10;
  o.slot_table = "0-3:2, 4:1,5-9:3";
  absl::StatusOr<ClusterConfig> c = ValidateCluster(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->slot_owner,
            (std::vector<uint32_t>{2, 2, 2, 2, 1, 3, 3, 3, 3, 3}));
  // No table: an even split in node order, the first ranges one longer.
  o.slot_table = "";
  c = ValidateCluster(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->slot_owner,
            (std::vector<uint32_t>{1, 1, 1, 1, 2, 2, 2, 3, 3, 3}));
}

TEST(ClusterOptionsTest, SlotTableRefusals) {
  ClusterOptions o = Three();
  o.master_choice = "slots";
  o.slots = 8;
  ExpectRefused((o.slot_table = "0-3:1,5-7:2", o), "cluster.slot_table",
                "slot 4 has no node");
  ExpectRefused((o.slot_table = "0-3:1", o), "cluster.slot_table",
                "slots 4-7 have no node");
  ExpectRefused((o.slot_table = "0-4:1,4-7:2", o), "cluster.slot_table",
                "slot 4 is given twice (node 1 and node 2)");
  ExpectRefused((o.slot_table = "0-3:1,4-7:9", o), "cluster.slot_table",
                "node 9 is not in cluster.nodes");
  ExpectRefused((o.slot_table = "0-8:1", o), "cluster.slot_table",
                "slot 8 is out of range");
  ExpectRefused((o.slot_table = "3-0:1,4-7:2", o), "cluster.slot_table",
                "reversed");
  ExpectRefused((o.slot_table = "0-3,4-7:2", o), "cluster.slot_table",
                "expected first-last:node");
  ExpectRefused((o.slot_table = "0-3:x,4-7:2", o), "cluster.slot_table",
                "not a number");
  ExpectRefused((o.slot_table = "a-3:1,4-7:2", o), "cluster.slot_table",
                "bad slot range");
  // A table is checked even when the choice is not slots.
  o.master_choice = "load";
  ExpectRefused((o.slot_table = "0-3:1", o), "cluster.slot_table",
                "have no node");
}

TEST(ClusterOptionsTest, StandbyOrderRefusals) {
  ClusterOptions o = Three();
  o.mode = "standby";
  ExpectRefused((o.standby_order = "1,2", o), "cluster.standby_order",
                "node 3 is missing");
  ExpectRefused((o.standby_order = "1,2,2,3", o), "cluster.standby_order",
                "node 2 appears twice");
  ExpectRefused((o.standby_order = "1,2,3,4", o), "cluster.standby_order",
                "node 4 is not in cluster.nodes");
  ExpectRefused((o.standby_order = "1,two,3", o), "cluster.standby_order",
                "'two' is not a node id");
}

class SecretFileTest : public ::testing::Test {
 protected:
  SecretFileTest() : dir_([](const std::string&) {}) {}
  std::string Write(const std::string& name, const std::string& text,
                    mode_t mode) {
    const std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  cairn::testing::BasicTempDir dir_;
};

TEST_F(SecretFileTest, SameRulesAsReplication) {
  ClusterOptions o = Three();
  o.secret_file = Write("good", "0123456789abcdef\n", 0600);
  absl::StatusOr<ClusterConfig> c = ValidateCluster(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->secret, "0123456789abcdef");
  ExpectRefused((o.secret_file = Write("loose", "0123456789abcdef", 0644), o),
                "cluster.secret_file", "permissions too loose");
  ExpectRefused((o.secret_file = Write("short", "0123456789", 0600), o),
                "cluster.secret_file", "at least 16 bytes");
  ExpectRefused((o.secret_file = dir_.Sub("absent"), o), "cluster.secret_file",
                "cannot stat");
  ExpectRefused((o.secret_file = dir_.path(), o), "cluster.secret_file",
                "not a regular file");
}

// The README's cluster option table is this table, rendered
// (scripts/update_readme_options).
TEST(ClusterOptionsTest, ReadmeListsTheClusterOptions) {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_TRUE(absl::StrContains(
      ss.str(), absl::StrCat("<!-- CLUSTER_OPTIONS:BEGIN -->\n",
                             ClusterOptionsMarkdown(),
                             "<!-- CLUSTER_OPTIONS:END -->")))
      << "README.md's cluster option table is stale; regenerate it with "
         "scripts/update_readme_options. Expected:\n"
      << ClusterOptionsMarkdown();
}

}  // namespace
}  // namespace cairn::cluster
