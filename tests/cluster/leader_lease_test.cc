// LeaderLease against a real etcd: one leader at every sampled instant, a
// stalled leader stops serving by its local deadline before anyone else
// takes over, and a leader that loses etcd stops within the TTL.
#include "cluster/leader_lease.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster/coordination_options.h"
#include "gtest/gtest.h"
#include "tests/cluster/etcd_server.h"

namespace cairn::cluster {
namespace {

using testing::EtcdServer;

constexpr absl::Duration kTtl = absl::Seconds(2);  // etcd's minimum
constexpr absl::Duration kMargin = absl::Milliseconds(200);

class LeaderLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = etcd_.Start();
    ASSERT_TRUE(s.ok()) << s;
  }
  std::unique_ptr<LeaderLease> NewLease(uint32_t node) {
    EtcdClient::Options eo;
    eo.timeout = absl::Milliseconds(300);
    auto client = EtcdClient::Create(etcd_.endpoint(), eo);
    EXPECT_TRUE(client.ok()) << client.status();
    LeaderLeaseOptions o;
    o.key = LeaderKey("test");
    o.node_id = node;
    o.ttl = kTtl;
    o.renew_interval = kTtl / 3;
    o.clock_margin = kMargin;
    return std::make_unique<LeaderLease>(*std::move(client), std::move(o));
  }
  // Samples both leases at one instant until `done` (bounded); fails the
  // test at any instant where both lead. Returns whether `done` held.
  template <typename Done>
  bool SampleUntil(LeaderLease& a, LeaderLease& b, Done done,
                   absl::Duration timeout = absl::Seconds(10)) {
    const MonoTime end =
        MonoClock::now() + absl::ToChronoNanoseconds(timeout);
    while (MonoClock::now() < end) {
      const MonoTime now = MonoClock::now();
      const bool la = a.IsLeader(now);
      const bool lb = b.IsLeader(now);
      EXPECT_FALSE(la && lb) << "two leaders at one instant";
      if (la && lb) return false;
      ++samples_;
      if (done(now, la, lb)) return true;
      ::usleep(500);  // pacing of the sampler, not synchronisation
    }
    return false;
  }

  EtcdServer etcd_;
  int64_t samples_ = 0;
};

TEST_F(LeaderLeaseTest, TwoLeasesOnOneKeyGiveOneLeader) {
  std::unique_ptr<LeaderLease> a = NewLease(1);
  std::unique_ptr<LeaderLease> b = NewLease(2);
  a->Start();
  b->Start();
  ASSERT_TRUE(SampleUntil(*a, *b, [](MonoTime, bool la, bool lb) {
    return la || lb;
  })) << "no leader elected";
  // Both keep running for several renewal periods: exactly one leads
  // throughout, and the other names it.
  const MonoTime until = MonoClock::now() + absl::ToChronoNanoseconds(kTtl);
  int leader_changes = 0;
  bool last = a->IsLeader(MonoClock::now());
  SampleUntil(*a, *b, [&](MonoTime now, bool la, bool lb) {
    EXPECT_TRUE(la || lb) << "leaderless while both renew";
    if (la != last) ++leader_changes;
    last = la;
    return now >= until;
  });
  EXPECT_EQ(leader_changes, 0);
  LeaderLease& follower = a->IsLeader(MonoClock::now()) ? *b : *a;
  const uint32_t leader = a->IsLeader(MonoClock::now()) ? 1 : 2;
  LeaderLease::State s = follower.Get(MonoClock::now());
  EXPECT_EQ(s.holder, leader);
  EXPECT_EQ(s.why, absl::StrCat("leader is node ", leader)) << s.why;
  EXPECT_GT(samples_, 100);
}

TEST_F(LeaderLeaseTest, StalledLeaderStopsByItsDeadlineThenOtherTakesOver) {
  std::unique_ptr<LeaderLease> a = NewLease(1);
  std::unique_ptr<LeaderLease> b = NewLease(2);
  a->Start();
  ASSERT_TRUE(SampleUntil(*a, *b, [](MonoTime, bool la, bool) { return la; }));
  b->Start();
  // Let b see the key held.
  ASSERT_TRUE(SampleUntil(*a, *b, [&](MonoTime, bool, bool) {
    return b->Leader() == 1;
  }));

  // Stall a's renewals, as a pause would.
  a->PauseForTesting(true);
  const MonoTime paused = MonoClock::now();
  const MonoTime a_deadline = a->Get(paused).deadline;
  EXPECT_LE(a_deadline - paused, absl::ToChronoNanoseconds(kTtl - kMargin));
  MonoTime a_stopped{}, b_started{};
  ASSERT_TRUE(SampleUntil(*a, *b, [&](MonoTime now, bool la, bool lb) {
    if (!la && a_stopped == MonoTime()) a_stopped = now;
    if (lb && b_started == MonoTime()) b_started = now;
    return lb;
  })) << "b never took over: " << b->Get(MonoClock::now()).why;
  // a stopped by its own deadline, without any news from etcd, and before
  // b led.
  ASSERT_NE(a_stopped, MonoTime());
  EXPECT_GE(a_stopped, a_deadline);
  EXPECT_LT(a_stopped - a_deadline, std::chrono::milliseconds(200));
  EXPECT_LT(a_stopped, b_started);
  EXPECT_TRUE(absl::StrContains(a->Get(MonoClock::now()).why,
                                "lease expired"))
      << a->Get(MonoClock::now()).why;

  // a resumes: it finds its lease gone and follows b; still never two.
  a->PauseForTesting(false);
  ASSERT_TRUE(SampleUntil(*a, *b, [&](MonoTime, bool, bool) {
    return a->Leader() == 2;
  }));
  SampleUntil(*a, *b, [&](MonoTime now, bool, bool) {
    return now > b_started + absl::ToChronoNanoseconds(kTtl);
  });
  EXPECT_TRUE(b->IsLeader(MonoClock::now()));
  EXPECT_FALSE(a->IsLeader(MonoClock::now()));
}

TEST_F(LeaderLeaseTest, LeaderStopsWithinTheTtlWhenEtcdDies) {
  std::unique_ptr<LeaderLease> a = NewLease(1);
  std::unique_ptr<LeaderLease> b = NewLease(2);
  a->Start();
  ASSERT_TRUE(SampleUntil(*a, *b, [](MonoTime, bool la, bool) { return la; }));
  etcd_.Kill();
  const MonoTime killed = MonoClock::now();
  MonoTime stopped{};
  ASSERT_TRUE(SampleUntil(*a, *b, [&](MonoTime now, bool la, bool) {
    if (!la) stopped = now;
    return !la;
  }, 2 * kTtl));
  EXPECT_LE(stopped - killed, absl::ToChronoNanoseconds(kTtl));
  LeaderLease::State s = a->Get(MonoClock::now());
  EXPECT_TRUE(absl::StrContains(
      s.why, absl::StrCat("etcd at ", etcd_.endpoint(), " unreachable since")))
      << s.why;
  EXPECT_TRUE(absl::StrContains(s.why, "lease expired")) << s.why;
}

TEST_F(LeaderLeaseTest, ResignHandsOverAtOnce) {
  std::unique_ptr<LeaderLease> a = NewLease(1);
  std::unique_ptr<LeaderLease> b = NewLease(2);
  a->Start();
  ASSERT_TRUE(SampleUntil(*a, *b, [](MonoTime, bool la, bool) { return la; }));
  b->Start();
  ASSERT_TRUE(SampleUntil(*a, *b, [&](MonoTime, bool, bool) {
    return b->Leader() == 1;
  }));
  const MonoTime resigned = MonoClock::now();
  ASSERT_TRUE(a->Resign().ok());
  EXPECT_FALSE(a->IsLeader(MonoClock::now()));
  MonoTime b_started{};
  ASSERT_TRUE(SampleUntil(*a, *b, [&](MonoTime now, bool, bool lb) {
    if (lb) b_started = now;
    return lb;
  }));
  // No TTL to wait out: b's next poll finds the key free.
  EXPECT_LT(b_started - resigned,
            absl::ToChronoNanoseconds(kTtl / 3 + absl::Milliseconds(500)));
  ASSERT_TRUE(SampleUntil(*a, *b, [&](MonoTime, bool, bool) {
    return a->Leader() == 2;
  }));
  EXPECT_EQ(a->Get(MonoClock::now()).why, "leader is node 2");
}

}  // namespace
}  // namespace cairn::cluster
