// The ring: balance, minimal movement on add and remove, weights,
// determinism across processes, and the persisted layout's codec.
#include "engine/ring/ring.h"

#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "engine/cache/placement.h"
#include "engine/ring/layout.h"
#include "gtest/gtest.h"

namespace cairn::ring {
namespace {

std::vector<Member> Equal(uint32_t n, uint64_t capacity = 1 << 20) {
  std::vector<Member> members;
  for (uint32_t i = 0; i < n; ++i) members.push_back({i, capacity});
  return members;
}

std::vector<uint64_t> KeyHashes(size_t n) {
  std::vector<uint64_t> hashes;
  for (size_t i = 0; i < n; ++i) {
    hashes.push_back(cache::KeyHash("key-" + std::to_string(i)));
  }
  return hashes;
}

// max/mean of keys per member.
double Imbalance(const Ring& ring, const std::vector<uint64_t>& hashes) {
  std::vector<uint64_t> load(ring.members().size(), 0);
  for (uint64_t h : hashes) ++load[ring.IndexFor(h)];
  uint64_t max = 0;
  for (uint64_t l : load) max = std::max(max, l);
  return static_cast<double>(max) * load.size() / hashes.size();
}

TEST(RingTest, KeysAreBalancedFrom4To32Instances) {
  const std::vector<uint64_t> hashes = KeyHashes(400000);
  for (uint32_t n : {4u, 8u, 16u, 32u}) {
    absl::StatusOr<Ring> ring = Ring::Create(Equal(n));
    ASSERT_TRUE(ring.ok()) << ring.status();
    const double imbalance = Imbalance(*ring, hashes);
    EXPECT_LE(imbalance, 1.10) << n << " instances";
    // Bucket shares are exact to one bucket.
    for (uint32_t c : ring->BucketCounts()) {
      EXPECT_NEAR(c, kBuckets / n, 1.0) << n << " instances";
    }
  }
}

TEST(RingTest, AddingMovesAboutOneOverNPlusOneAndOnlyToTheNewcomer) {
  const std::vector<uint64_t> hashes = KeyHashes(200000);
  for (uint32_t n : {4u, 7u, 16u, 31u}) {
    Ring before = *Ring::Create(Equal(n));
    absl::StatusOr<Ring> after = before.WithAdded({100, 1 << 20});
    ASSERT_TRUE(after.ok()) << after.status();
    size_t moved = 0;
    for (uint64_t h : hashes) {
      const uint32_t a = before.OwnerId(h), b = after->OwnerId(h);
      if (a != b) {
        ++moved;
        EXPECT_EQ(b, 100u) << "a key moved between old instances";
      }
    }
    // What the old members lose is exactly what the newcomer owns.
    uint32_t lost = 0;
    for (uint32_t l : before.BucketsLostTo(*after)) lost += l;
    EXPECT_EQ(lost, after->BucketCounts().back());
    const double share = static_cast<double>(moved) / hashes.size();
    EXPECT_NEAR(share, 1.0 / (n + 1), 0.2 / (n + 1)) << n << " -> " << n + 1;
    EXPECT_LE(Imbalance(*after, hashes), 1.10);
  }
}

TEST(RingTest, RemovingMovesOnlyTheRemovedInstancesKeys) {
  const std::vector<uint64_t> hashes = KeyHashes(200000);
  Ring before = *Ring::Create(Equal(8));
  absl::StatusOr<Ring> after = before.WithRemoved(3);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->members().size(), 7u);
  EXPECT_LT(after->IndexOf(3), 0);
  size_t moved = 0;
  for (uint64_t h : hashes) {
    const uint32_t a = before.OwnerId(h), b = after->OwnerId(h);
    if (a != 3) {
      EXPECT_EQ(a, b) << "a key of a remaining instance moved";
    } else {
      ++moved;
      EXPECT_NE(b, 3u);
    }
  }
  EXPECT_NEAR(static_cast<double>(moved) / hashes.size(), 1.0 / 8, 0.02);
  EXPECT_LE(Imbalance(*after, hashes), 1.10);
  // Only the removed member loses buckets, and it loses all of them.
  const std::vector<uint32_t> lost = before.BucketsLostTo(*after);
  for (size_t i = 0; i < lost.size(); ++i) {
    EXPECT_EQ(lost[i],
              before.members()[i].id == 3 ? before.BucketCounts()[i] : 0u);
  }
}

TEST(RingTest, AddThenRemoveRestoresEveryOwner) {
  Ring base = *Ring::Create(Equal(5));
  Ring grown = *base.WithAdded({9, 1 << 20});
  Ring back = *grown.WithRemoved(9);
  // Buckets return to members below quota, not necessarily the same ones;
  // but shares are restored exactly.
  EXPECT_EQ(back.BucketCounts(), base.BucketCounts());
}

TEST(RingTest, SharesFollowCapacity) {
  std::vector<Member> members = {{0, 1 << 20}, {1, 3 << 20}, {2, 4 << 20}};
  Ring ring = *Ring::Create(members);
  std::vector<uint32_t> counts = ring.BucketCounts();
  EXPECT_NEAR(counts[0], kBuckets / 8.0, 1.0);
  EXPECT_NEAR(counts[1], kBuckets * 3 / 8.0, 1.0);
  EXPECT_NEAR(counts[2], kBuckets / 2.0, 1.0);
  // A tiny instance still gets a bucket.
  Ring tiny = *ring.WithAdded({7, 1});
  EXPECT_GE(tiny.BucketCounts()[3], 1u);
}

TEST(RingTest, RejectsBadMembers) {
  EXPECT_FALSE(Ring::Create({}).ok());
  EXPECT_FALSE(Ring::Create({{1, 0}}).ok());
  EXPECT_FALSE(Ring::Create({{1, 5}, {1, 5}}).ok());
  EXPECT_FALSE(Ring::Create(Equal(kMaxMembers + 1)).ok());
  Ring one = *Ring::Create(Equal(1));
  EXPECT_FALSE(one.WithRemoved(0).ok());
  EXPECT_FALSE(one.WithRemoved(42).ok());
  EXPECT_FALSE(one.WithAdded({0, 5}).ok());  // duplicate id
}

TEST(RingTest, SameChangesGiveTheSameTableInAnotherProcess) {
  auto build = [] {
    Ring r = *Ring::Create(Equal(6));
    r = *r.WithAdded({6, 2 << 20});
    r = *r.WithRemoved(2);
    r = *r.WithAdded({7, 1 << 20});
    return r.Fingerprint();
  };
  const uint64_t here = build();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    uint64_t there = build();
    ssize_t w = write(fds[1], &there, sizeof(there));
    _exit(w == sizeof(there) ? 0 : 1);
  }
  close(fds[1]);
  uint64_t there = 0;
  ASSERT_EQ(read(fds[0], &there, sizeof(there)),
            static_cast<ssize_t>(sizeof(there)));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(here, there);
  // The same in every build too: placement_test.cc pins it to literals.
}

Layout SampleLayout(bool migrating) {
  Layout layout;
  layout.epoch = 7;
  layout.base_capacity_bytes = 64 << 20;
  layout.base_instances = 4;
  layout.next_id = 6;
  layout.current = *Ring::Create({{0, 16 << 20}, {1, 16 << 20}, {5, 32 << 20}});
  if (migrating) {
    layout.previous = *Ring::Create({{0, 16 << 20}, {1, 16 << 20}});
    layout.progress = {6, 1000, 0, 10, 20, 30};
  }
  return layout;
}

TEST(LayoutTest, RoundTrips) {
  for (bool migrating : {false, true}) {
    const Layout layout = SampleLayout(migrating);
    absl::StatusOr<Layout> back = DecodeLayout(EncodeLayout(layout));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->epoch, 7u);
    EXPECT_EQ(back->next_id, 6u);
    EXPECT_EQ(back->current.Fingerprint(), layout.current.Fingerprint());
    EXPECT_EQ(back->migrating(), migrating);
    EXPECT_EQ(LayoutId(*back), LayoutId(layout));
    if (migrating) {
      EXPECT_EQ(back->progress.moved_mover, 20u);
      EXPECT_EQ(back->previous->Fingerprint(), layout.previous->Fingerprint());
    }
  }
  EXPECT_NE(LayoutId(SampleLayout(false)), LayoutId(SampleLayout(true)));
}

TEST(LayoutTest, EveryDamageIsDataLoss) {
  const std::string good = EncodeLayout(SampleLayout(true));
  // Truncations and single-byte flips anywhere are caught.
  for (size_t n :
       {size_t{0}, size_t{3}, size_t{20}, good.size() / 2, good.size() - 1}) {
    absl::StatusOr<Layout> r = DecodeLayout(good.substr(0, n));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << n;
  }
  std::mt19937 rng(1);
  for (int i = 0; i < 200; ++i) {
    std::string bad = good;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    EXPECT_EQ(DecodeLayout(bad).status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(DecodeLayout(good + "x").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cairn::ring
