#include "compaction_wait.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn_bench {
namespace {

// The layout of LevelDB 1.23's "leveldb.stats".
std::string Stats(const std::string& rows) {
  return "                               Compactions\n"
         "Level  Files Size(MB) Time(sec) Read(MB) Write(MB)\n"
         "--------------------------------------------------\n" +
         rows;
}

TEST(CompactionWaitTest, SettledTreeHasNothingDue) {
  EXPECT_FALSE(StatsShowCompactionDue(
      Stats("  0        3        6         1        0         6\n"
            "  1        5        9         2       20        19\n"
            "  2       40       80         3       90        88\n")));
  EXPECT_FALSE(StatsShowCompactionDue(Stats("")));
}

TEST(CompactionWaitTest, LevelZeroAtTriggerIsDue) {
  EXPECT_TRUE(StatsShowCompactionDue(
      Stats("  0        4        8         1        0         8\n")));
}

TEST(CompactionWaitTest, LevelOverItsSizeIsDue) {
  EXPECT_TRUE(StatsShowCompactionDue(
      Stats("  1        8       12         2       20        19\n")));
  EXPECT_TRUE(StatsShowCompactionDue(
      Stats("  2       60      101         3       90        88\n")));
  EXPECT_FALSE(StatsShowCompactionDue(
      Stats("  3      400      999         3       90        88\n")));
}

TEST(CompactionWaitTest, UnparsableTextIsNotDue) {
  EXPECT_FALSE(StatsShowCompactionDue("no stats here"));
}

}  // namespace
}  // namespace cairn_bench
