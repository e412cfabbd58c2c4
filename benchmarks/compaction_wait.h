// compaction_wait.h — waits until a LevelDB-based store has no compaction
// due, so a put benchmark's compaction debt does not run on the other core
// during the next benchmark, and both stores start their gets from a
// settled tree.
//
// LevelDB exposes no "compaction pending" flag. We read "leveldb.stats"
// (Cairn passes leveldb.* properties through) and call the tree settled when
// no level is over LevelDB's own trigger (level 0: 4 files; level L >= 1:
// 10^L MB) and the table has not changed for two polls in a row.
//
// Thread safety: call from one thread; the store may be in use elsewhere.
#ifndef CAIRN_BENCHMARKS_COMPACTION_WAIT_H_
#define CAIRN_BENCHMARKS_COMPACTION_WAIT_H_

#include <chrono>
#include <string>
#include <thread>

namespace cairn_bench {

// Whether the "leveldb.stats" text shows a level over its compaction
// trigger. False for text it cannot parse.
bool StatsShowCompactionDue(const std::string& stats);

// Polls `store.Property("leveldb.stats")` until settled or `limit` passes.
// Returns false when the property is unavailable or the limit was reached.
template <typename Store>
bool WaitForCompactions(
    Store& store, std::chrono::seconds limit = std::chrono::seconds(120)) {
  constexpr auto kPoll = std::chrono::milliseconds(100);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string previous;
  int stable_polls = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string stats;
    if (!store.Property("leveldb.stats", &stats)) return false;
    stable_polls = stats == previous ? stable_polls + 1 : 0;
    if (stable_polls >= 2 && !StatsShowCompactionDue(stats)) return true;
    previous = std::move(stats);
    std::this_thread::sleep_for(kPoll);
  }
  return false;
}

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_COMPACTION_WAIT_H_
