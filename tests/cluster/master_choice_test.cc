// Master choice (SPEC C4, C2, B2) against hand-computed tables.
#include "cluster/master_choice.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cairn::cluster {
namespace {

std::vector<uint32_t> Ids(const std::vector<LoadScore>& scores) {
  std::vector<uint32_t> ids;
  for (const LoadScore& s : scores) ids.push_back(s.id);
  return ids;
}

const LoadScore& Of(const std::vector<LoadScore>& scores, uint32_t id) {
  for (const LoadScore& s : scores) {
    if (s.id == id) return s;
  }
  ADD_FAILURE() << "no node " << id;
  return scores.front();
}

// node |   W |   C |   R | rank_asc(W) | rank_desc(C) | rank_desc(R) | score
//    1 | 100 | 500 | 300 |      1      |       1      |       1      | 1.00
//    2 | 200 | 100 | 200 |      2      |       3      |       2      | 2.25
//    3 | 300 | 300 | 100 |      3      |       2      |       3      | 2.75
// score = 0.25 W + 0.25 C + 0.5 R  ->  3 (most capacity, fastest) is master.
TEST(MasterChoiceTest, LoadScoresDistinctValues) {
  const std::vector<LoadSample> samples = {
      {1, 100, 500, 300}, {2, 200, 100, 200}, {3, 300, 300, 100}};
  const std::vector<LoadScore> r = RankByLoad(samples);
  EXPECT_EQ(Ids(r), (std::vector<uint32_t>{3, 2, 1}));
  EXPECT_EQ(Of(r, 1).rank_w, 1);
  EXPECT_EQ(Of(r, 1).rank_c, 1);
  EXPECT_EQ(Of(r, 1).rank_r, 1);
  EXPECT_EQ(Of(r, 1).score, 1.0);
  EXPECT_EQ(Of(r, 2).rank_w, 2);
  EXPECT_EQ(Of(r, 2).rank_c, 3);
  EXPECT_EQ(Of(r, 2).rank_r, 2);
  EXPECT_EQ(Of(r, 2).score, 2.25);
  EXPECT_EQ(Of(r, 3).rank_w, 3);
  EXPECT_EQ(Of(r, 3).rank_c, 2);
  EXPECT_EQ(Of(r, 3).rank_r, 3);
  EXPECT_EQ(Of(r, 3).score, 2.75);
}

// Equal values share the mean of the ranks they span (fractional ranking).
// node |   W |  C |  R | rank_asc(W) | rank_desc(C) | rank_desc(R) | score
//    1 | 100 | 10 | 50 |     2.5     |       4      |      2.5     | 2.875
//    2 | 100 | 20 | 50 |     2.5     |      2.5     |      2.5     | 2.5
//    3 | 200 | 20 | 10 |      4      |      2.5     |       4      | 3.625
//    4 |  50 | 30 | 90 |      1      |       1      |       1      | 1.0
// W sorted ascending: 50 (pos 1), 100 100 (pos 2, 3 -> 2.5), 200 (pos 4).
// C sorted descending: 30 (1), 20 20 (2, 3 -> 2.5), 10 (4).
// R sorted descending: 90 (1), 50 50 (2, 3 -> 2.5), 10 (4).
TEST(MasterChoiceTest, LoadTiesShareTheMeanRank) {
  const std::vector<LoadSample> samples = {
      {1, 100, 10, 50}, {2, 100, 20, 50}, {3, 200, 20, 10}, {4, 50, 30, 90}};
  const std::vector<LoadScore> r = RankByLoad(samples);
  EXPECT_EQ(Ids(r), (std::vector<uint32_t>{3, 1, 2, 4}));
  EXPECT_EQ(Of(r, 1).rank_w, 2.5);
  EXPECT_EQ(Of(r, 2).rank_w, 2.5);
  EXPECT_EQ(Of(r, 2).rank_c, 2.5);
  EXPECT_EQ(Of(r, 3).rank_c, 2.5);
  EXPECT_EQ(Of(r, 1).rank_r, 2.5);
  EXPECT_EQ(Of(r, 1).score, 2.875);
  EXPECT_EQ(Of(r, 2).score, 2.5);
  EXPECT_EQ(Of(r, 3).score, 3.625);
  EXPECT_EQ(Of(r, 4).score, 1.0);
  // The rank sums stay n(n+1)/2 = 10 per parameter.
  double w = 0, c = 0, rr = 0;
  for (const LoadScore& s : r) {
    w += s.rank_w;
    c += s.rank_c;
    rr += s.rank_r;
  }
  EXPECT_EQ(w, 10);
  EXPECT_EQ(c, 10);
  EXPECT_EQ(rr, 10);
}

// Equal scores: the lower node id wins, whatever the input order.
// node |   W |  C |  R | rank_asc(W) | rank_desc(C) | rank_desc(R) | score
//    7 | 100 |  0 | 20 |      1      |       2      |      1.5     | 1.5
//    5 | 200 | 50 | 20 |      2      |       1      |      1.5     | 1.5
TEST(MasterChoiceTest, EqualScoresGoToTheLowerId) {
  const std::vector<LoadSample> samples = {{7, 100, 0, 20}, {5, 200, 50, 20}};
  const std::vector<LoadScore> r = RankByLoad(samples);
  EXPECT_EQ(Ids(r), (std::vector<uint32_t>{5, 7}));
  EXPECT_EQ(r[0].score, 1.5);
  EXPECT_EQ(r[1].score, 1.5);
  // All equal: every rank is (n+1)/2 = 2, every score 2; id order.
  const std::vector<LoadScore> same = RankByLoad(
      std::vector<LoadSample>{{9, 1, 1, 1}, {2, 1, 1, 1}, {4, 1, 1, 1}});
  EXPECT_EQ(Ids(same), (std::vector<uint32_t>{2, 4, 9}));
  for (const LoadScore& s : same) EXPECT_EQ(s.score, 2.0);
}

// Response time weighs as much as W and C together: a node that is only
// faster ties with one that only has more capacity and less data.
// node |   W |   C |  R | rank_asc(W) | rank_desc(C) | rank_desc(R) | score
//    1 | 900 |   0 | 90 |      2      |       2      |       1      | 1.5
//    2 | 100 | 900 | 10 |      1      |       1      |       2      | 1.5
//    3 | 100 | 900 | 90 | (with 3 nodes, below)
// Two nodes tie (1.5, 1.5 -> node 1 by id); with node 3 added:
//    1 | 900 |   0 | 90 |      3      |       3      |      1.5     | 2.25
//    2 | 100 | 900 | 10 |     1.5     |      1.5     |       3      | 2.25
//    3 | 100 | 900 | 90 |     1.5     |      1.5     |      1.5     | 1.5
TEST(MasterChoiceTest, ResponseTimeWeighsAsMuchAsWAndCTogether) {
  EXPECT_EQ(Ids(RankByLoad(
                std::vector<LoadSample>{{1, 900, 0, 90}, {2, 100, 900, 10}})),
            (std::vector<uint32_t>{1, 2}));
  const std::vector<LoadScore> r = RankByLoad(std::vector<LoadSample>{
      {1, 900, 0, 90}, {2, 100, 900, 10}, {3, 100, 900, 90}});
  EXPECT_EQ(Ids(r), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(Of(r, 1).score, 2.25);
  EXPECT_EQ(Of(r, 2).score, 2.25);
  EXPECT_EQ(Of(r, 3).score, 1.5);
}

TEST(MasterChoiceTest, LoadOfNothingIsEmpty) {
  EXPECT_TRUE(RankByLoad({}).empty());
  const std::vector<LoadScore> one =
      RankByLoad(std::vector<LoadSample>{{4, 0, 0, 0}});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].score, 1.0);  // every rank 1
}

TEST(MasterChoiceTest, KeyHashIsXxh3AndStable) {
  // XXH3-64 of the empty input (seed 0): routing must not change between
  // builds or machines.
  EXPECT_EQ(KeyHash(""), 0x2D06800538D394C2ull);
  EXPECT_EQ(KeyHash("k"), KeyHash(std::string("k")));
  EXPECT_NE(KeyHash("a"), KeyHash("b"));
  EXPECT_EQ(SlotOf(10, 4), 2u);
  EXPECT_EQ(SlotOf(KeyHash(""), 16384), 0x2D06800538D394C2ull % 16384);
}

// Available nodes sorted by id, index = hash mod count, then again without
// the chosen node.
//   hash 7, {3, 1, 2}: [1 2 3][7 % 3 = 1] = 2; [1 3][7 % 2 = 1] = 3; then 1.
//   hash 9, {3, 1, 2}: [1 2 3][9 % 3 = 0] = 1; [2 3][9 % 2 = 1] = 3; then 2.
TEST(MasterChoiceTest, HashOrder) {
  EXPECT_EQ(HashOrder(7, std::vector<uint32_t>{3, 1, 2}),
            (std::vector<uint32_t>{2, 3, 1}));
  EXPECT_EQ(HashOrder(9, std::vector<uint32_t>{3, 1, 2}),
            (std::vector<uint32_t>{1, 3, 2}));
  EXPECT_TRUE(HashOrder(9, {}).empty());
  // Node 2 tagged: {1, 3}, 7 % 2 = 1 -> 3 (the key moved off a live node:
  // plain hashing reshuffles).
  EXPECT_EQ(HashOrder(7, std::vector<uint32_t>{1, 3}),
            (std::vector<uint32_t>{3, 1}));
  EXPECT_EQ(HashOrder(8, std::vector<uint32_t>{1, 2, 3})[0], 3u);  // 8%3=2
  EXPECT_EQ(HashOrder(8, std::vector<uint32_t>{1, 3})[0], 1u);     // 8%2=0
}

TEST(MasterChoiceTest, RendezvousMovesOnlyTheLostNodesKeys) {
  const std::vector<uint32_t> all = {1, 2, 3, 4, 5};
  std::map<uint32_t, int> share;
  for (int k = 0; k < 5000; ++k) {
    const uint64_t h = KeyHash(absl::StrCat("key", k));
    const std::vector<uint32_t> order = RendezvousOrder(h, all);
    ASSERT_EQ(order.size(), 5u);
    ++share[order[0]];
    // Without node 3: keys of other nodes stay; 3's go to their second.
    const uint32_t without3 =
        RendezvousOrder(h, std::vector<uint32_t>{1, 2, 4, 5})[0];
    if (order[0] == 3) {
      EXPECT_EQ(without3, order[1]);
    } else {
      EXPECT_EQ(without3, order[0]);
    }
    // Without 3 and 5, whatever the order they were lost in: the first of
    // the full order that is left.
    const uint32_t without35 =
        RendezvousOrder(h, std::vector<uint32_t>{4, 2, 1})[0];
    for (uint32_t id : order) {
      if (id != 3 && id != 5) {
        EXPECT_EQ(without35, id);
        break;
      }
    }
  }
  for (uint32_t id : all) {  // about 1000 each
    EXPECT_GT(share[id], 800) << id;
    EXPECT_LT(share[id], 1200) << id;
  }
}

}  // namespace
}  // namespace cairn::cluster
