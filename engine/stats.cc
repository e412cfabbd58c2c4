#include "engine/stats.h"

#include "engine/thread_shard.h"

namespace cairn {

const char* CounterName(Counter c) {
  switch (c) {
    case Counter::kPuts:
      return "puts";
    case Counter::kDeletes:
      return "deletes";
    case Counter::kBatches:
      return "batches";
    case Counter::kBatchOps:
      return "batch_ops";
    case Counter::kGets:
      return "gets";
    case Counter::kGetHits:
      return "get_hits";
    case Counter::kGetMisses:
      return "get_misses";
    case Counter::kIterators:
      return "iterators_created";
    case Counter::kSnapshots:
      return "snapshots_created";
    case Counter::kBytesWritten:
      return "bytes_written";
    case Counter::kBytesRead:
      return "bytes_read";
    case Counter::kWriteErrors:
      return "write_errors";
    case Counter::kTombstonesPurged:
      return "tombstones_purged";
    case Counter::kApplyGuardReads:
      return "apply_guard_reads";
    case Counter::kApplyGuardSkips:
      return "apply_guard_skips";
    case Counter::kCount:
      break;
  }
  return "unknown";
}

uint64_t Stats::Get(Counter c) const {
  uint64_t total = 0;
  for (const Shard& s : shards_) {
    total += s.v[static_cast<int>(c)].load(std::memory_order_relaxed);
  }
  return total;
}

}  // namespace cairn
