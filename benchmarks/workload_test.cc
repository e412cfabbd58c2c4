#include "workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>
#include <vector>

namespace cairn_bench {
namespace {

std::string Key(uint64_t index) {
  char key[kKeySize];
  FormatKey(index, key);
  return std::string(key, kKeySize);
}

TEST(WorkloadTest, KeysAreFixedWidthHexInIndexOrder) {
  EXPECT_EQ(Key(0), "0000000000000000");
  EXPECT_EQ(Key(0x1f), "000000000000001f");
  EXPECT_EQ(Key(~uint64_t{0}), "ffffffffffffffff");
  EXPECT_LT(Key(PresentIndex(7)), Key(MissingIndex(7)));
  EXPECT_LT(Key(MissingIndex(7)), Key(PresentIndex(8)));
}

TEST(WorkloadTest, ScramblerIsAPermutation) {
  for (uint64_t n : {1ULL, 2ULL, 3ULL, 1000ULL, 2000ULL, 4096ULL, 100003ULL}) {
    const IndexScrambler scramble(n);
    std::vector<bool> seen(n, false);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t x = scramble(i);
      ASSERT_LT(x, n) << "n=" << n;
      ASSERT_FALSE(seen[x]) << "n=" << n << " collides at " << i;
      seen[x] = true;
    }
  }
}

TEST(WorkloadTest, ZipfianRankFrequenciesMatchTheory) {
  constexpr uint64_t kN = 1000;
  constexpr int kDraws = 2000000;
  const ZipfianGenerator zipf(kN, 0.99);
  std::mt19937_64 engine(7);
  std::vector<int> counts(kN, 0);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t rank = zipf.NextRank(engine);
    ASSERT_LT(rank, kN);
    ++counts[rank];
  }
  // Ranks 0 and 1 are exact in Gray's method; later ranks are close.
  for (uint64_t rank : {0ULL, 1ULL}) {
    const double expected = zipf.Probability(rank) * kDraws;
    EXPECT_NEAR(counts[rank], expected, expected * 0.02) << "rank " << rank;
  }
  for (uint64_t rank : {10ULL, 100ULL}) {
    const double expected = zipf.Probability(rank) * kDraws;
    EXPECT_NEAR(counts[rank], expected, expected * 0.25) << "rank " << rank;
  }
  // Skew: the top 10% of keys get most of the traffic.
  int top = 0;
  for (uint64_t rank = 0; rank < kN / 10; ++rank) top += counts[rank];
  EXPECT_GT(top, kDraws / 2);
}

TEST(WorkloadTest, HotKeysAreSpreadOverTheKeySpace) {
  constexpr uint64_t kN = 1000000;
  const IndexScrambler scramble(kN);
  std::vector<uint64_t> hot;
  for (uint64_t rank = 0; rank < 16; ++rank) hot.push_back(scramble(rank));
  std::sort(hot.begin(), hot.end());
  EXPECT_GT(hot.back() - hot.front(), kN / 2);
  for (size_t i = 1; i < hot.size(); ++i) EXPECT_GT(hot[i] - hot[i - 1], 1u);
}

TEST(WorkloadTest, StreamsHitPresentKeysAndMissBetweenThem) {
  constexpr uint64_t kN = 2000;
  const ZipfianGenerator zipf(kN);
  const IndexStream uniform(Distribution::kUniform, kN, &zipf, 0);
  const IndexStream zipfian(Distribution::kZipfian, kN, &zipf, 0);
  const IndexStream miss(Distribution::kMiss, kN, &zipf, 1);
  for (size_t i = 0; i < 10000; ++i) {
    ASSERT_EQ(uniform[i] % 2, 0u);
    ASSERT_LT(uniform[i], 2 * kN);
    ASSERT_EQ(zipfian[i] % 2, 0u);
    ASSERT_LT(zipfian[i], 2 * kN);
    ASSERT_EQ(miss[i] % 2, 1u);
    ASSERT_LT(miss[i], 2 * kN);
  }
  // The same thread index replays the same keys, whichever store runs.
  const IndexStream again(Distribution::kUniform, kN, &zipf, 0);
  for (size_t i = 0; i < 1000; ++i) ASSERT_EQ(uniform[i], again[i]);
  EXPECT_EQ(uniform[IndexStream::kLength], uniform[0]);
}

TEST(WorkloadTest, ScanReadsEveryPresentKeyOncePerPass) {
  constexpr uint64_t kN = 3000;  // not a multiple of the cursor's chunk
  const ZipfianGenerator zipf(kN);
  const IndexStream scan(Distribution::kScan, kN, &zipf, 0);
  ASSERT_EQ(scan.size(), kN);
  std::atomic<uint64_t> shared{0};
  StreamCursor first(scan, &shared);
  StreamCursor second(scan, &shared);  // another thread, or a later run
  std::vector<int> seen(2 * kN, 0);
  auto read = [&](StreamCursor& cursor, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t index = cursor.Next();
      ASSERT_EQ(index % 2, 0u);
      ASSERT_LT(index, 2 * kN);
      ++seen[index];
    }
  };
  read(first, StreamCursor::kChunk);           // chunk 0
  read(second, StreamCursor::kChunk);          // chunk 1
  read(first, kN - 2 * StreamCursor::kChunk);  // chunk 2, the short last one
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(kN));
  EXPECT_EQ(second.Next(), scan[0]);  // the next pass starts over
}

TEST(WorkloadTest, PrivateCursorWrapsAround) {
  constexpr uint64_t kN = 100;
  const ZipfianGenerator zipf(kN);
  const IndexStream uniform(Distribution::kUniform, kN, &zipf, 0);
  StreamCursor cursor(uniform);
  for (size_t i = 0; i < uniform.size(); ++i)
    ASSERT_EQ(cursor.Next(), uniform[i]);
  EXPECT_EQ(cursor.Next(), uniform[0]);
}

TEST(WorkloadTest, ValuesAre100BytesAndDeterministic) {
  const ValuePool pool;
  const ValuePool same;
  for (uint64_t index : {0ULL, 1ULL, 12345ULL, ~0ULL}) {
    EXPECT_EQ(pool.Value(index).size(), kValueSize);
    EXPECT_EQ(pool.Value(index), same.Value(index));
  }
  EXPECT_NE(pool.Value(1), pool.Value(2));
}

}  // namespace
}  // namespace cairn_bench
