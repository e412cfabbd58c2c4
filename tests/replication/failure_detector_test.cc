// SPEC C3 against a fake clock: every transition of the failure detector.
#include "replication/failure_detector.h"

#include "gtest/gtest.h"

namespace cairn::replication {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(FailureDetectorTest, TagsPastTheThresholdForTheValidityPeriod) {
  FailureDetector d(3, absl::Seconds(10));
  absl::Time t = kT0;
  for (int i = 1; i <= 3; ++i) {
    d.RecordFailure(t);
    EXPECT_FALSE(d.IsTagged(t)) << i;  // at the threshold: not yet
    EXPECT_EQ(d.Get(t).failures, static_cast<uint64_t>(i));
  }
  d.RecordFailure(t);  // the 4th: above N
  FailureDetector::State s = d.Get(t);
  EXPECT_TRUE(s.tagged);
  EXPECT_EQ(s.tag_expiry, t + absl::Seconds(10));
  EXPECT_EQ(s.times_tagged, 1u);
  // Still tagged just before the expiry; failures while tagged do not
  // extend it.
  d.RecordFailure(t + absl::Seconds(5));
  EXPECT_TRUE(d.IsTagged(t + absl::Seconds(10) - absl::Milliseconds(1)));
  // Lapsed: untagged with a fresh counter.
  s = d.Get(t + absl::Seconds(10));
  EXPECT_FALSE(s.tagged);
  EXPECT_EQ(s.failures, 0u);
}

TEST(FailureDetectorTest, AGoodReplyRemovesTheTagAndTheCounter) {
  FailureDetector d(1, absl::Minutes(1));
  d.RecordFailure(kT0);
  d.RecordFailure(kT0);
  ASSERT_TRUE(d.IsTagged(kT0));
  d.RecordSuccess(kT0 + absl::Seconds(1));  // a heartbeat to a tagged node
  EXPECT_FALSE(d.IsTagged(kT0 + absl::Seconds(1)));
  EXPECT_EQ(d.Get(kT0 + absl::Seconds(1)).failures, 0u);
}

TEST(FailureDetectorTest, OperationsAndHeartbeatsShareOneCounter) {
  FailureDetector d(2, absl::Seconds(3));
  d.RecordFailure(kT0);                         // a failed operation
  d.RecordFailure(kT0 + absl::Milliseconds(1));  // a missed heartbeat
  EXPECT_FALSE(d.IsTagged(kT0 + absl::Milliseconds(1)));
  d.RecordFailure(kT0 + absl::Milliseconds(2));  // a bad reply
  EXPECT_TRUE(d.IsTagged(kT0 + absl::Milliseconds(2)));
  // A success before the threshold resets the count.
  FailureDetector e(2, absl::Seconds(3));
  e.RecordFailure(kT0);
  e.RecordFailure(kT0);
  e.RecordSuccess(kT0);
  e.RecordFailure(kT0);
  e.RecordFailure(kT0);
  EXPECT_FALSE(e.IsTagged(kT0));
}

TEST(FailureDetectorTest, TaggedAgainAfterALapse) {
  FailureDetector d(0, absl::Seconds(1));
  d.RecordFailure(kT0);
  EXPECT_TRUE(d.IsTagged(kT0));
  EXPECT_FALSE(d.IsTagged(kT0 + absl::Seconds(1)));
  d.RecordFailure(kT0 + absl::Seconds(2));
  EXPECT_TRUE(d.IsTagged(kT0 + absl::Seconds(2)));
  EXPECT_EQ(d.Get(kT0 + absl::Seconds(2)).times_tagged, 2u);
}

}  // namespace
}  // namespace cairn::replication
