// AckWaiters: an acknowledgement wakes exactly the sync writers it
// satisfies; the others sleep on until theirs arrives.
#include "replication/ack_waiters.h"

#include <atomic>
#include <cstdint>
#include <future>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace cairn::replication {
namespace {

// Far enough that a waiter returning before it was woken by Notify(), not
// by its recheck time (the test's own bound is much shorter).
absl::Time Never() { return absl::Now() + absl::Hours(1); }
constexpr auto kBound = std::chrono::seconds(20);

TEST(AckWaitersTest, ReturnsAtOnceWhenAlreadySatisfied) {
  AckWaiters waiters;
  EXPECT_EQ(waiters.Wait([] { return true; }, Never()),
            AckWaiters::Outcome::kSatisfied);
}

TEST(AckWaitersTest, RechecksWhenItsTimePasses) {
  AckWaiters waiters;
  EXPECT_EQ(waiters.Wait([] { return false; },
                         absl::Now() + absl::Milliseconds(5)),
            AckWaiters::Outcome::kRecheck);
}

TEST(AckWaitersTest, AnAckWakesOnlyTheWritersItCovers) {
  AckWaiters waiters;
  std::atomic<uint64_t> acked{0};
  constexpr int kWriters = 8;
  std::atomic<int> waiting{0};
  std::vector<std::future<AckWaiters::Outcome>> done;
  for (int i = 1; i <= kWriters; ++i) {
    const uint64_t seq = static_cast<uint64_t>(i);
    done.push_back(std::async(std::launch::async, [&, seq] {
      waiting.fetch_add(1);
      return waiters.Wait([&] { return acked.load() >= seq; }, Never());
    }));
  }
  // Acknowledge the sequences one by one; each Notify must release exactly
  // the writer of that sequence (a writer released early returns with its
  // sequence not covered, which Wait never reports as satisfied).
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (waiting.load() < kWriters && absl::Now() < give_up) {
    std::this_thread::yield();
  }
  for (int i = 1; i <= kWriters; ++i) {
    acked.store(static_cast<uint64_t>(i));
    waiters.Notify();
    ASSERT_EQ(done[i - 1].wait_for(kBound), std::future_status::ready)
        << "the writer of sequence " << i << " was not woken by its ack";
    EXPECT_EQ(done[i - 1].get(), AckWaiters::Outcome::kSatisfied);
    for (int j = i + 1; j <= kWriters; ++j) {
      EXPECT_NE(done[j - 1].wait_for(std::chrono::seconds(0)),
                std::future_status::ready)
          << "the writer of sequence " << j << " returned at ack " << i;
    }
  }
  EXPECT_EQ(waiters.futile_wakeups(), 0u);
}

TEST(AckWaitersTest, WakeAllReleasesUnsatisfiedWritersToRecount) {
  AckWaiters waiters;
  std::vector<std::future<AckWaiters::Outcome>> done;
  std::atomic<int> started{0};
  for (int i = 0; i < 4; ++i) {
    done.push_back(std::async(std::launch::async, [&] {
      started.fetch_add(1);
      return waiters.Wait([] { return false; }, Never());
    }));
  }
  // A writer that registers after this WakeAll is not released by it:
  // keep waking until all four have returned, within the bound.
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  size_t returned = 0;
  while (returned < done.size() && absl::Now() < give_up) {
    waiters.WakeAll();
    returned = 0;
    for (auto& f : done) {
      if (f.wait_for(std::chrono::milliseconds(1)) ==
          std::future_status::ready) {
        ++returned;
      }
    }
  }
  ASSERT_EQ(returned, done.size());
  for (auto& f : done) EXPECT_EQ(f.get(), AckWaiters::Outcome::kRecheck);
}

}  // namespace
}  // namespace cairn::replication
