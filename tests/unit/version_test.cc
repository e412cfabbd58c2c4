#include "engine/version.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace cairn {
namespace {

TEST(VersionTest, OrdersByClockThenNode) {
  EXPECT_LT((Version{1, 9}), (Version{2, 1}));
  EXPECT_LT((Version{2, 1}), (Version{2, 2}));
  EXPECT_EQ((Version{3, 3}), (Version{3, 3}));
  EXPECT_TRUE(Version{}.IsZero());
}

TEST(HybridClockTest, NeverGoesBackwardsWhenWallClockDoes) {
  uint64_t wall = 1000;
  HybridClock clock([&] { return wall; });
  uint64_t a = clock.Now();
  wall = 500;  // the wall clock jumps back
  uint64_t b = clock.Now();
  EXPECT_GT(b, a);
  wall = 2000;
  uint64_t c = clock.Now();
  EXPECT_GT(c, b);
  EXPECT_EQ(HybridClock::PhysicalMillis(c), 2000u);
}

TEST(HybridClockTest, ObserveMovesPastRemoteTimestamps) {
  HybridClock clock([] { return uint64_t{10}; });
  uint64_t remote = (uint64_t{99} << HybridClock::kLogicalBits) + 5;
  clock.Observe(remote);
  EXPECT_GT(clock.Now(), remote);
  clock.Observe(1);  // older: ignored
  EXPECT_GT(clock.Now(), remote);
}

TEST(HybridClockTest, UniqueAcrossThreads) {
  HybridClock clock([] { return uint64_t{1}; });
  constexpr int kThreads = 4, kPer = 5000;
  std::vector<std::vector<uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) seen[t].push_back(clock.Now());
    });
  }
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (auto& v : seen) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end());
}

}  // namespace
}  // namespace cairn
