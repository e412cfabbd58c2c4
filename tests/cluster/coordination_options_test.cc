#include "cluster/coordination_options.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace cairn::cluster {
namespace {

TEST(CoordinationOptionsTest, DefaultsAreValidAndUseNoEtcd) {
  absl::StatusOr<CoordinationConfig> c =
      ValidateCoordination(CoordinationOptions());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->use_etcd);
  EXPECT_EQ(c->lease_ttl, absl::Seconds(3));
  EXPECT_EQ(c->renew_interval, absl::Seconds(1));  // ttl / 3
  EXPECT_EQ(LeaderKey("prod"), "/cairn/prod/leader");
}

TEST(CoordinationOptionsTest, SetsByNameAndNamesTheCulprit) {
  CoordinationOptions o;
  ASSERT_TRUE(SetCoordinationOption(&o, "coordination.etcd", "127.0.0.1:2379")
                  .ok());
  ASSERT_TRUE(SetCoordinationOption(&o, "coordination.lease_ttl_ms", "6000")
                  .ok());
  EXPECT_EQ(*GetCoordinationOption(o, "coordination.lease_ttl_ms"), "6000");
  absl::StatusOr<CoordinationConfig> c = ValidateCoordination(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->use_etcd);
  EXPECT_EQ(c->etcd_host, "127.0.0.1");
  EXPECT_EQ(c->etcd_port, 2379);
  EXPECT_EQ(c->renew_interval, absl::Seconds(2));

  absl::Status s = SetCoordinationOption(&o, "coordination.lease_ttl_ms", "0");
  EXPECT_TRUE(absl::StrContains(s.message(), "coordination.lease_ttl_ms"))
      << s;
  EXPECT_EQ(o.lease_ttl_ms, 6000u);
  s = SetCoordinationOption(&o, "coordination.nope", "1");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST(CoordinationOptionsTest, RefusesValuesThatCannotWork) {
  for (const char* bad : {"etcd", "etcd.example:2379", "127.0.0.1",
                          "127.0.0.1:0", "127.0.0.1:70000",
                          "http://127.0.0.1:2379"}) {
    CoordinationOptions o;
    o.etcd = bad;
    absl::StatusOr<CoordinationConfig> c = ValidateCoordination(o);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(c.status().message(), "coordination.etcd"))
        << c.status();
    EXPECT_TRUE(absl::StrContains(c.status().message(), bad)) << c.status();
  }
  CoordinationOptions o;
  o.renew_interval_ms = 2900;  // + 200 margin >= 3000
  absl::StatusOr<CoordinationConfig> c = ValidateCoordination(o);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(),
                                "coordination.renew_interval_ms"));
  o = CoordinationOptions();
  o.request_timeout_ms = 1500;  // > ttl / 3
  c = ValidateCoordination(o);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(),
                                "coordination.request_timeout_ms"));
  o = CoordinationOptions();
  o.lease_ttl_ms = 0;  // set directly, past the table's range check
  EXPECT_FALSE(ValidateCoordination(o).ok());
}

// The README's coordination table is this table, rendered.
TEST(CoordinationOptionsTest, ReadmeListsTheCoordinationOptions) {
  std::ifstream in(std::string(CAIRN_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string rows = MarkdownRowsIn(CoordinationOptionTable());
  EXPECT_NE(ss.str().find(rows), std::string::npos)
      << "README.md's coordination table is stale. Expected rows:\n"
      << rows;
}

}  // namespace
}  // namespace cairn::cluster
