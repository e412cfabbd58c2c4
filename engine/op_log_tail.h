// OpLogTail: the newest op-log batches kept in memory with their values, so
// a replication sender that keeps up ships what was just written without
// reading LevelDB (the snapshot path reads a record per operation, see
// OpLog::ReadBatches).
//
// The write queue's leader appends each committed batch after its LevelDB
// write and before the sequence is published, in sequence order; readers
// take whole batches from any sequence the tail still holds. The tail keeps
// at most `capacity_bytes` of memory (at least the newest batch), dropping
// the oldest first. Each batch is stored as one buffer of its keys and
// values and one array of fixed-size entries, so what is counted is what is
// allocated (three heap blocks per batch, not two per operation), and the
// write path's leader allocates three times per batch to append it. A
// reader picks batches under the lock and copies them out after it.
// Entries are facts of the log (it is append-only), so a read from the tail
// returns exactly what the log says, with the values as written; unlike
// ReadBatches it does not mark operations superseded by later writes (a
// receiver's version guard skips them).
//
// Thread-safe.
#ifndef CAIRN_ENGINE_OP_LOG_TAIL_H_
#define CAIRN_ENGINE_OP_LOG_TAIL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/types/span.h"
#include "engine/format.h"
#include "engine/mutex.h"
#include "engine/op_log.h"
#include "engine/version.h"

namespace cairn {

class OpLogTail {
 public:
  explicit OpLogTail(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  struct Op {
    OpKind kind;
    Version version;
    std::string_view key;
    std::string_view value;
  };
  // One committed batch: sequences first .. first + ops.size() - 1. A batch
  // that does not follow the previous one (a gap) restarts the tail.
  void Append(uint64_t first, uint32_t source, absl::Span<const Op> ops)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Whole batches holding sequences from `from` (which may fall inside a
  // batch: its earlier operations are left out) up to `upto`, together at
  // most `max_entries` operations (at least one batch). False, with `out`
  // untouched, when the tail does not hold `from`.
  bool Read(uint64_t from, uint64_t upto, size_t max_entries,
            std::vector<OpLogBatch>* out) ABSL_LOCKS_EXCLUDED(mu_);

  // The oldest sequence held (0: none).
  uint64_t first() ABSL_LOCKS_EXCLUDED(mu_);

  struct Stats {
    size_t capacity_bytes = 0;
    size_t bytes = 0;  // the memory held: buffers, entries and bookkeeping
    size_t batches = 0;
    uint64_t first_sequence = 0;  // 0: empty
    uint64_t hits = 0;    // reads served from memory
    uint64_t misses = 0;  // reads that had to go to the log
  };
  Stats GetStats() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One operation of a batch; its key and value follow the previous
  // operation's in the batch's buffer.
  struct Entry {
    Version version;
    uint32_t key_size;
    uint32_t value_size;
    OpKind kind;
  };
  struct Batch {
    uint64_t first = 0;
    uint32_t source = 0;
    size_t bytes = 0;   // counted against the capacity
    std::string data;   // key 0, value 0, key 1, value 1, ...
    std::vector<Entry> ops;
  };
  static size_t BatchBytes(const Batch& b);

  const size_t capacity_;
  Mutex mu_;
  // Shared with readers that copy a batch out after releasing mu_.
  std::deque<std::shared_ptr<const Batch>> batches_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_OP_LOG_TAIL_H_
