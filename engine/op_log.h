// OpLog: the op-log key space of a Db — recovery, reading, trimming and
// waiting for new entries.
//
// Every committed write batch has one op-log value, keyed by the sequence of
// its first operation ('o' + first_seq, see format.h). The write path
// assigns sequences and calls Publish() once the batch is in LevelDB; this
// component owns everything else about the log:
//
//  - Recover() finds the trim point and the newest sequence at open, and
//    advances the hybrid clock past every version the log or the trim point
//    remembers, so versions never go backwards across restarts;
//  - Read() returns operations from a sequence; ReadBatches() returns whole
//    batches as of a snapshot, with each operation's value, which is what a
//    replication sender ships;
//  - Trim() deletes batches up to a sequence, refusing (Corruption) an entry
//    it cannot parse rather than skipping it;
//  - WaitFor() lets a consumer sleep until the log grows past a sequence.
//
// Thread safety: every method may be called from any thread. Publish() is
// called by one writer at a time (the write queue's leader). Trims are
// serialised among themselves; they never race writes, which only add
// sequences above LastSequence(). The LevelDB handle must outlive the OpLog.
#ifndef CAIRN_ENGINE_OP_LOG_H_
#define CAIRN_ENGINE_OP_LOG_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/format.h"
#include "engine/mutex.h"
#include "engine/version.h"
#include "leveldb/options.h"

namespace leveldb {
class DB;
class Iterator;
class Snapshot;
}  // namespace leveldb

namespace cairn {

// One operation as a sender ships it: the op-log entry plus the record's
// value read at the same snapshot.
struct ShippedOp {
  uint64_t sequence = 0;
  OpKind kind = OpKind::kPut;
  Version version;
  std::string key;
  std::string value;  // empty for deletes and superseded operations
  // True when a later batch (at or below the snapshot) overwrote the key:
  // the value of this operation is gone, and the later batch carries the
  // newer one. A receiver that applies the batches in order skips it.
  bool superseded = false;
};

// One atomic write batch of the log, as of a snapshot.
struct OpLogBatch {
  uint64_t first_sequence = 0;
  // The peer the batch was received from (0: written on this node). A relay
  // never sends a batch back to its source.
  uint32_t source = 0;
  std::vector<ShippedOp> ops;
};

class OpLog {
 public:
  // Reads verify LevelDB block checksums when `verify_checksums` is set
  // (the database's option).
  explicit OpLog(leveldb::DB* db, bool verify_checksums = true) : db_(db) {
    read_options_.verify_checksums = verify_checksums;
  }
  OpLog(const OpLog&) = delete;
  OpLog& operator=(const OpLog&) = delete;

  // Reads the trim point and the newest batch; advances `clock` past every
  // version they remember. Corruption if either does not parse.
  [[nodiscard]] absl::Status Recover(HybridClock* clock);

  // The sequence of the newest committed operation (0 before the first).
  uint64_t LastSequence() const {
    return last_sequence_.load(std::memory_order_acquire);
  }
  // The oldest sequence still readable.
  uint64_t FirstSequence() const {
    return trimmed_upto_.load(std::memory_order_acquire) + 1;
  }

  // Makes operations up to `sequence` visible and wakes WaitFor() callers.
  void Publish(uint64_t sequence);
  // Blocks until LastSequence() >= `sequence`, the deadline passes or the
  // log closes; returns whether the sequence was reached.
  bool WaitFor(uint64_t sequence, absl::Time deadline);
  // Wakes every waiter for good (the Db is closing).
  void Close();

  // Up to `max_entries` operations with sequence >= `from`, in order.
  // OutOfRange if `from` was trimmed away (the reader needs a full resync).
  [[nodiscard]] absl::StatusOr<std::vector<OpEntry>> Read(uint64_t from,
                                                          size_t max_entries);

  // Whole batches holding sequences in [from, upto], read at `snapshot`
  // (whose sequence is `upto`), each operation with its value as of the
  // snapshot. The first batch starts at `from` even if `from` is inside it;
  // a batch is never split otherwise: it stops before the batch that would
  // pass `max_entries` (but always returns at least one batch if any).
  // OutOfRange if `from` was trimmed away.
  [[nodiscard]] absl::StatusOr<std::vector<OpLogBatch>> ReadBatches(
      const leveldb::Snapshot* snapshot, uint64_t upto, uint64_t from,
      size_t max_entries);

  // Deletes the batches whose operations are all at or below `upto` (capped
  // at LastSequence()), and persists the trim point and the newest trimmed
  // version so recovery never loses the clock's high-water mark.
  [[nodiscard]] absl::Status Trim(uint64_t upto);

  // Metadata keys the op log owns (tests damage them).
  static constexpr char kTrimmedUptoMeta[] = "oplog.trimmed_upto";
  static constexpr char kTrimmedHlcMeta[] = "oplog.trimmed_hlc";

 private:
  // Positions `it` at the batch holding `sequence`, or at the first batch
  // after it; leaves it past the op-log space when there is none.
  static void SeekBatch(leveldb::Iterator* it, uint64_t sequence);

  leveldb::DB* const db_;
  leveldb::ReadOptions read_options_;
  std::atomic<uint64_t> last_sequence_{0};
  std::atomic<uint64_t> trimmed_upto_{0};
  Mutex trim_mu_;

  Mutex wait_mu_;
  CondVar grown_;
  std::atomic<int> waiters_{0};
  bool closed_ ABSL_GUARDED_BY(wait_mu_) = false;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_OP_LOG_H_
