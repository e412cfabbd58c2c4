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
//  - WaitFor() lets a consumer sleep until the log grows past a sequence;
//  - retention: the log keeps the newest `retain_ops` operations, unless a
//    hold (the replication layer's slowest peer) keeps more, and a hold gives
//    way once the log passes `hold_cap_bytes`. Publish() pays one relaxed
//    atomic load for it; when the log passes its threshold it wakes the
//    trimmer (op_log_trimmer.h), which runs TrimToRetention() on its own
//    thread.
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

// What the automatic trimmer keeps.
struct OpLogRetention {
  // The newest operations kept; 0 disables automatic trimming (the log then
  // shrinks only through Trim()). A trim runs once the log holds
  // TrimSlack() more than this.
  uint64_t retain_ops = 0;
  // A hold gives way once the op log's approximate on-disk size passes this
  // many bytes (0: a hold is never overridden).
  uint64_t hold_cap_bytes = 0;

  // Operations the log may grow past `retain_ops` before a trim runs: trims
  // come in steps, not one per write.
  uint64_t TrimSlack() const {
    return retain_ops / 4 > 1024 ? retain_ops / 4 : 1024;
  }
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

  // Makes operations up to `sequence` visible and wakes the WaitFor()
  // callers it brings to their sequence (only those: a sender that asked
  // for a quarter batch is not woken by each write; see WaitFor).
  void Publish(uint64_t sequence);
  // Blocks until LastSequence() >= `sequence`, the deadline passes, Kick()
  // is called or the log closes; returns whether the sequence was reached.
  // Publish() wakes a waiter only once its sequence is reached, so a
  // waiter that names a later sequence than the next one lets writes
  // gather without a wake-up each. `kicks` (may be null) is the caller's
  // count of Kick()s seen: a Kick() since the caller last waited returns at
  // once, so none is lost between two waits.
  bool WaitFor(uint64_t sequence, absl::Time deadline,
               uint64_t* kicks = nullptr);
  // Wakes every WaitFor() caller now, whether its sequence is reached or
  // not (a sync writer that cannot wait for a sender's gathering).
  void Kick();
  // Wakes every waiter for good (the Db is closing).
  void Close();

  // Up to `max_entries` operations with sequence >= `from`, in order.
  // OutOfRange if `from` was trimmed away (the reader needs a full resync).
  [[nodiscard]] absl::StatusOr<std::vector<OpEntry>> Read(uint64_t from,
                                                          size_t max_entries);

  // Whole batches holding sequences in [from, upto], read at `snapshot`
  // (whose sequence is `upto`), each operation with its value as of the
  // snapshot (the records are read together, in key order: sorted_reads.h).
  // The first batch starts at `from` even if `from` is inside it; a batch is
  // never split otherwise: it stops before the batch that would pass
  // `max_entries` (but always returns at least one batch if any).
  // The operations a sender never ships to node `skip_node` (0: none),
  // those of a batch received from it or written by it, come without their
  // values: no record is read for them. OutOfRange if `from` was trimmed
  // away.
  [[nodiscard]] absl::StatusOr<std::vector<OpLogBatch>> ReadBatches(
      const leveldb::Snapshot* snapshot, uint64_t upto, uint64_t from,
      size_t max_entries, uint32_t skip_node = 0);

  // Deletes the batches whose operations are all at or below `upto` (capped
  // at LastSequence()), and persists the trim point and the newest trimmed
  // version so recovery never loses the clock's high-water mark. An explicit
  // trim ignores the retention policy and the hold.
  [[nodiscard]] absl::Status Trim(uint64_t upto);

  // ---- Retention (the automatic trimmer) ----
  // Sets the policy; wakes the trimmer if the log is already past it (a
  // database reopened with a long log is trimmed at once).
  void SetRetention(const OpLogRetention& retention);
  // Keeps every operation with sequence >= `from` until the hold moves or is
  // cleared (within hold_cap_bytes). One hold: a caller with several readers
  // holds from the slowest. OutOfRange, and the hold unchanged, if `from` was
  // already trimmed (that reader needs a full resync).
  [[nodiscard]] absl::Status SetHold(uint64_t from);
  void ClearHold();
  // Trims what the policy allows now: up to LastSequence() - retain_ops, but
  // not at or past the hold unless the log is over hold_cap_bytes. The
  // trimmer's work; callable from any thread.
  [[nodiscard]] absl::Status TrimToRetention();
  // The trimmer's wait: blocks until the log passed its threshold or the
  // policy or hold changed (true), or the log closed (false).
  bool WaitForTrimDue();
  // Blocks until FirstSequence() >= `first`, the deadline passes or the log
  // closes; returns whether it got there.
  bool WaitForTrimmedTo(uint64_t first, absl::Time deadline);

  // Counters since open: trims that deleted something (explicit or
  // automatic), operations trimmed, holds overridden by the cap.
  uint64_t trims() const { return trims_.load(std::memory_order_relaxed); }
  uint64_t trimmed_ops() const {
    return trimmed_ops_.load(std::memory_order_relaxed);
  }
  uint64_t hold_overrides() const {
    return hold_overrides_.load(std::memory_order_relaxed);
  }
  // The hold's sequence, 0 when none.
  uint64_t hold() const { return hold_.load(std::memory_order_relaxed); }

  // Metadata keys the op log owns (tests damage them).
  static constexpr char kTrimmedUptoMeta[] = "oplog.trimmed_upto";
  static constexpr char kTrimmedHlcMeta[] = "oplog.trimmed_hlc";
  // The clock's high-water mark, written with a batch whose own versions
  // are below it (see Db::BuildGroup): Recover() reads only the newest
  // batch, so without it a version received earlier from a peer whose
  // clock runs ahead would be forgotten at the next open.
  static constexpr char kClockMeta[] = "oplog.clock_hlc";

 private:
  // Positions `it` at the batch holding `sequence`, or at the first batch
  // after it; leaves it past the op-log space when there is none.
  static void SeekBatch(leveldb::Iterator* it, uint64_t sequence);
  absl::Status TrimLocked(uint64_t upto)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(trim_mu_);
  // Sets the sequence whose Publish() wakes the trimmer next. `blocked`: the
  // last trim could not shrink the log to its retention (a hold, an error),
  // so wait for `slack` more writes rather than retrying at once.
  void ScheduleNextTrim(bool blocked) ABSL_EXCLUSIVE_LOCKS_REQUIRED(trim_mu_);
  void RequestTrim();
  // wake_at_ = the smallest of wait_targets_ (UINT64_MAX: none).
  void StoreWakeAtLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(wait_mu_);
  // The op-log key range's approximate size on disk.
  uint64_t ApproximateBytes() const;

  leveldb::DB* const db_;
  leveldb::ReadOptions read_options_;
  std::atomic<uint64_t> last_sequence_{0};
  std::atomic<uint64_t> trimmed_upto_{0};
  Mutex trim_mu_;
  // The first sequence of the oldest batch not deleted: trims seek here
  // instead of stepping over their predecessors' tombstones.
  uint64_t oldest_batch_ ABSL_GUARDED_BY(trim_mu_) = 0;
  OpLogRetention retention_ ABSL_GUARDED_BY(trim_mu_);
  // Written under trim_mu_; atomic so hold() and stats read it lock-free.
  std::atomic<uint64_t> hold_{0};
  // Publish() of this sequence or later wakes the trimmer (UINT64_MAX: not
  // scheduled).
  std::atomic<uint64_t> trim_due_at_{UINT64_MAX};
  std::atomic<uint64_t> trims_{0};
  std::atomic<uint64_t> trimmed_ops_{0};
  std::atomic<uint64_t> hold_overrides_{0};

  Mutex trimmer_mu_;
  CondVar trim_due_;  // trim_requested_ or trimmer_closed_ changed
  bool trim_requested_ ABSL_GUARDED_BY(trimmer_mu_) = false;
  bool trimmer_closed_ ABSL_GUARDED_BY(trimmer_mu_) = false;
  CondVar trimmed_;  // (on wait_mu_) FirstSequence() moved

  Mutex wait_mu_;
  CondVar grown_;
  // The sequences WaitFor() callers wait for (a few: one per peer), and the
  // smallest of them, which Publish() compares with (UINT64_MAX: none).
  std::vector<uint64_t> wait_targets_ ABSL_GUARDED_BY(wait_mu_);
  std::atomic<uint64_t> wake_at_{UINT64_MAX};
  uint64_t kicks_ ABSL_GUARDED_BY(wait_mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(wait_mu_) = false;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_OP_LOG_H_
