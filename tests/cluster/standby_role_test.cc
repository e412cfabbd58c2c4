// StandbyRole: the majority rule without etcd and the campaign rule with
// it, driven by fake peer reachability; then three roles on one real etcd
// through a failover and a rejoin at the end of the sequence.
#include "cluster/standby_role.h"

#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/mutex.h"
#include "gtest/gtest.h"
#include "tests/cluster/etcd_server.h"

namespace cairn::cluster {
namespace {

using testing::EtcdServer;

// What each node believes of the others: shared by the roles of one test.
class FakeNetwork {
 public:
  void Set(uint32_t node, bool up) {
    MutexLock lock(&mu_);
    up_[node] = up;
  }
  bool Reachable(uint32_t node) {
    MutexLock lock(&mu_);
    auto it = up_.find(node);
    return it != up_.end() && it->second;
  }

 private:
  Mutex mu_;
  std::map<uint32_t, bool> up_ ABSL_GUARDED_BY(mu_);
};

CoordinationConfig NoEtcd() {
  absl::StatusOr<CoordinationConfig> c =
      ValidateCoordination(CoordinationOptions());
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

std::unique_ptr<StandbyRole> NewRole(uint32_t self, FakeNetwork* net,
                                     const CoordinationConfig& config,
                                     std::function<bool()> ready = nullptr) {
  StandbyOptions o;
  o.self = self;
  o.sequence = {1, 2, 3};
  o.cluster_id = "standby-test";
  o.reachable = [net](uint32_t id) { return net->Reachable(id); };
  o.ready = std::move(ready);
  absl::StatusOr<std::unique_ptr<StandbyRole>> role =
      StandbyRole::Create(std::move(o), config);
  EXPECT_TRUE(role.ok()) << role.status();
  return role.ok() ? *std::move(role) : nullptr;
}

TEST(StandbyRoleTest, RefusesBadSequences) {
  FakeNetwork net;
  auto make = [&](uint32_t self, std::vector<uint32_t> seq) {
    StandbyOptions o;
    o.self = self;
    o.sequence = std::move(seq);
    o.reachable = [&net](uint32_t id) { return net.Reachable(id); };
    return StandbyRole::Create(std::move(o), NoEtcd()).status();
  };
  EXPECT_TRUE(absl::StrContains(make(4, {1, 2, 3}).message(),
                                "does not contain this node (4)"));
  EXPECT_TRUE(absl::StrContains(make(1, {1, 2, 1}).message(),
                                "node 1 appears twice"));
  EXPECT_TRUE(absl::StrContains(make(1, {1, 0}).message(), "node id 0"));
  EXPECT_FALSE(make(1, {}).ok());
  StandbyOptions no_fn;
  no_fn.self = 1;
  no_fn.sequence = {1};
  EXPECT_FALSE(StandbyRole::Create(no_fn, NoEtcd()).ok());
}

TEST(StandbyRoleTest, WithoutEtcdTheFirstReachableNodeWithAMajorityServes) {
  FakeNetwork net;
  bool ready2 = true;
  std::unique_ptr<StandbyRole> role =
      NewRole(2, &net, NoEtcd(), [&ready2] { return ready2; });
  ASSERT_NE(role, nullptr);
  EXPECT_FALSE(role->Current().serves);  // not evaluated yet

  net.Set(1, true);
  net.Set(3, true);
  role->Refresh();
  NodeRole::View v = role->Current();
  EXPECT_FALSE(v.serves);
  EXPECT_EQ(v.master, 1u);
  EXPECT_TRUE(absl::StrContains(v.why, "node 1 precedes this node")) << v.why;

  net.Set(1, false);  // the master fails: 2 is first, with 2 of 3
  role->Refresh();
  v = role->Current();
  EXPECT_TRUE(v.serves) << v.why;
  EXPECT_EQ(v.master, 2u);

  ready2 = false;  // not resynced: does not serve
  role->Refresh();
  v = role->Current();
  EXPECT_FALSE(v.serves);
  EXPECT_TRUE(absl::StrContains(v.why, "not ready")) << v.why;
  ready2 = true;

  net.Set(3, false);  // alone: a minority never serves
  role->Refresh();
  v = role->Current();
  EXPECT_FALSE(v.serves);
  EXPECT_EQ(v.master, 0u);
  EXPECT_TRUE(absl::StrContains(v.why, "no majority: sees 1 of 3")) << v.why;

  net.Set(1, true);  // 1 is back and first again: it takes over
  role->Refresh();
  v = role->Current();
  EXPECT_FALSE(v.serves);
  EXPECT_EQ(v.master, 1u);

  ASSERT_TRUE(role->Resign().ok());
  net.Set(1, false);
  net.Set(3, true);
  role->Refresh();
  EXPECT_EQ(role->Current().why, "resigned");
  role->Rejoin();
  role->Refresh();
  EXPECT_TRUE(role->Current().serves);
}

TEST(StandbyRoleTest, WithoutEtcdOnlyTheMajoritySideOfASplitServes) {
  // The split {1} | {2, 3}: each node has its own view of the others.
  FakeNetwork view1, view2, view3;
  view1.Set(2, false);
  view1.Set(3, false);
  view2.Set(1, false);
  view2.Set(3, true);
  view3.Set(1, false);
  view3.Set(2, true);
  std::unique_ptr<StandbyRole> r1 = NewRole(1, &view1, NoEtcd());
  std::unique_ptr<StandbyRole> r2 = NewRole(2, &view2, NoEtcd());
  std::unique_ptr<StandbyRole> r3 = NewRole(3, &view3, NoEtcd());
  for (auto* r : {r1.get(), r2.get(), r3.get()}) r->Refresh();
  EXPECT_FALSE(r1->Current().serves);
  EXPECT_TRUE(r2->Current().serves);
  EXPECT_FALSE(r3->Current().serves);
  EXPECT_EQ(r3->Current().master, 2u);
  // The refresh thread applies a change within coordination.refresh_ms.
  r1->Start();
  view1.Set(2, true);
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (r1->Current().master != 1 && absl::Now() < end) ::usleep(1000);
  EXPECT_TRUE(r1->Current().serves);  // and r2 will yield on its refresh
}

TEST(StandbyRoleTest, CampaignRulePutsTheLastLeaderLast) {
  FakeNetwork net;
  CoordinationOptions co;
  co.etcd = "127.0.0.1:1";  // never contacted: no Start()
  absl::StatusOr<CoordinationConfig> config = ValidateCoordination(co);
  ASSERT_TRUE(config.ok()) << config.status();
  std::unique_ptr<StandbyRole> r1 = NewRole(1, &net, *config);
  std::unique_ptr<StandbyRole> r3 = NewRole(3, &net, *config);
  ASSERT_NE(r1->lease(), nullptr);
  std::string why;
  for (uint32_t id : {1, 2, 3}) net.Set(id, true);

  // No leader seen yet: the configured order.
  EXPECT_TRUE(r1->MayCampaign(0, &why));
  EXPECT_FALSE(r3->MayCampaign(0, &why));
  EXPECT_EQ(why,
            "node 1 comes before this node in the standby sequence and is "
            "reachable");
  // Node 2 led last: the order is 3, 1, 2.
  EXPECT_TRUE(r3->MayCampaign(2, &why));
  EXPECT_FALSE(r1->MayCampaign(2, &why));
  EXPECT_TRUE(absl::StrContains(why, "node 3 comes before this node")) << why;
  // Node 1 led last (it recovered or lost its lease): it comes last.
  EXPECT_FALSE(r1->MayCampaign(1, &why));
  EXPECT_TRUE(absl::StrContains(why, "node 2")) << why;
  net.Set(2, false);
  net.Set(3, false);
  EXPECT_TRUE(r1->MayCampaign(1, &why));
  // 3 is after 2 when 1 led last; with 2 down, 3 campaigns.
  EXPECT_TRUE(r3->MayCampaign(1, &why));
}

TEST(StandbyRoleTest, CampaignWaitsForReadiness) {
  FakeNetwork net;
  CoordinationOptions co;
  co.etcd = "127.0.0.1:1";
  absl::StatusOr<CoordinationConfig> config = ValidateCoordination(co);
  ASSERT_TRUE(config.ok());
  std::unique_ptr<StandbyRole> r1 =
      NewRole(1, &net, *config, [] { return false; });
  std::string why;
  EXPECT_FALSE(r1->MayCampaign(0, &why));
  EXPECT_TRUE(absl::StrContains(why, "not ready")) << why;
}

TEST(StandbyRoleTest, ReachabilityFromTheReplicationProperty) {
  auto r = ReachabilityFromReplicationStatus(
      R"({"enabled":true,"node_id":1,"peers":[)"
      R"({"id":2,"state":"up","tagged":false},)"
      R"({"id":3,"state":"connecting","tagged":false},)"
      R"({"id":4,"state":"resyncing","tagged":false},)"
      R"({"id":5,"state":"tagged-failed","tagged":true}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->at(2));
  EXPECT_FALSE(r->at(3));
  EXPECT_TRUE(r->at(4));
  EXPECT_FALSE(r->at(5));
  EXPECT_FALSE(ReachabilityFromReplicationStatus("[").ok());
  EXPECT_FALSE(
      ReachabilityFromReplicationStatus(R"({"peers":[{"id":"x"}]})").ok());
}

// Three roles on one etcd: 1 leads; 1 crashes, 2 (next) takes over and 3
// does not; 1 comes back and does not preempt; 2 crashes, and 3 — not the
// recovered 1 — takes over: 1 rejoined at the end.
TEST(StandbyRoleEtcdTest, FailoverFollowsTheSequenceAndARecoveredNodeRejoinsAtTheEnd) {
  EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok());
  CoordinationOptions co;
  co.etcd = etcd.endpoint();
  co.lease_ttl_ms = 2000;
  co.request_timeout_ms = 300;
  absl::StatusOr<CoordinationConfig> config = ValidateCoordination(co);
  ASSERT_TRUE(config.ok()) << config.status();
  FakeNetwork net;
  for (uint32_t id : {1, 2, 3}) net.Set(id, true);
  std::unique_ptr<StandbyRole> roles[4];
  for (uint32_t id : {1, 2, 3}) {
    roles[id] = NewRole(id, &net, *config);
    roles[id]->Start();
  }
  // Samples every live role until `done`; never two serving at once.
  auto sample_until = [&](auto done) {
    const absl::Time end = absl::Now() + absl::Seconds(15);
    while (absl::Now() < end) {
      int serving = 0;
      for (uint32_t id : {1, 2, 3}) {
        if (roles[id] != nullptr && roles[id]->Current().serves) ++serving;
      }
      EXPECT_LE(serving, 1);
      if (done()) return true;
      ::usleep(1000);
    }
    return false;
  };
  auto serves = [&](uint32_t id) {
    return roles[id] != nullptr && roles[id]->Current().serves;
  };
  ASSERT_TRUE(sample_until([&] { return serves(1); }))
      << roles[1]->Current().why;
  ASSERT_TRUE(sample_until([&] {
    return roles[2]->Current().master == 1 && roles[3]->Current().master == 1;
  }));
  EXPECT_EQ(roles[3]->Current().why, "leader is node 1");

  // 1 crashes (no resign: its lease lapses) and the others see it down.
  roles[1].reset();
  net.Set(1, false);
  ASSERT_TRUE(sample_until([&] { return serves(2); }))
      << roles[2]->Current().why;
  EXPECT_FALSE(serves(3));

  // 1 comes back: it sees 2 holding the key and does not campaign.
  roles[1] = NewRole(1, &net, *config);
  roles[1]->Start();
  net.Set(1, true);
  ASSERT_TRUE(sample_until([&] { return roles[1]->Current().master == 2; }));
  EXPECT_FALSE(serves(1));

  // 2 crashes: 3 comes after 2, before the recovered 1.
  roles[2].reset();
  net.Set(2, false);
  ASSERT_TRUE(sample_until([&] { return serves(3); }))
      << roles[3]->Current().why;
  EXPECT_FALSE(serves(1));
  ASSERT_TRUE(sample_until([&] { return roles[1]->Current().master == 3; }));
  const std::string why1 = roles[1]->Current().why;
  EXPECT_EQ(why1, "leader is node 3");
}

}  // namespace
}  // namespace cairn::cluster
