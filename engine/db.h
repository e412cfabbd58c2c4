// Db: Cairn's local engine — a versioned key-value store on LevelDB.
//
// A Db owns one database directory. Every write (put, delete, batch) assigns
// each operation a Version (hybrid logical clock + node id) and an op-log
// sequence number, and commits the records and their op-log entries in one
// atomic LevelDB batch (see format.h). Deletes write versioned tombstones.
// Reads hide tombstones. The op log (op_log.h) is what replication
// consumes: readable from a sequence number or at a snapshot, waitable and
// trimmable. Replication attaches here through Apply (version-guarded
// commits of received records), ScanRecords (a resync's snapshot stream)
// and the metadata namespace; the engine knows nothing of peers.
//
// Ownership: one process owns a database at a time (DbLock + LevelDB's LOCK);
// a second Open fails with a Busy status naming the owner's pid.
//
// Thread safety: every method may be called from any number of threads at
// once. Destroying the Db must not race with other calls; it invalidates the
// iterators and snapshots still open (their later use reports Unavailable).
// Writes go through a leader/follower queue (as in LevelDB): the writer at
// the front assigns versions and sequences to itself and the writers queued
// behind it, commits them in one LevelDB write (one fsync when any asked for
// sync), and wakes them. So op-log order, version order and LevelDB commit
// order agree, and concurrent sync writers share a log sync.
#ifndef CAIRN_ENGINE_DB_H_
#define CAIRN_ENGINE_DB_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/db_env.h"
#include "engine/format.h"
#include "engine/mutex.h"
#include "engine/op_log.h"
#include "engine/op_log_tail.h"
#include "engine/options.h"
#include "engine/stats.h"
#include "engine/value_dest.h"
#include "engine/version.h"
#include "engine/write_batch.h"

namespace leveldb {
class DB;
class Cache;
class FilterPolicy;
class Logger;
class Snapshot;
class WriteBatch;
struct ReadOptions;
}  // namespace leveldb

namespace cairn {

class DbCore;
class DbIterator;
class DbLock;
class OpLog;
class OpLogTrimmer;
namespace cache {
class CacheTier;
}

// A consistent point-in-time view. Shared by the caller and the Db; valid
// until released or the Db closes.
class Snapshot {
 public:
  ~Snapshot();
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // The LevelDB snapshot, null once released or closed.
  const leveldb::Snapshot* handle() const { return snapshot_; }
  // The op-log sequence the view holds: every operation up to it and none
  // after it.
  uint64_t sequence() const { return sequence_; }

 private:
  friend class Db;
  friend class DbCore;
  Snapshot(std::shared_ptr<DbCore> core, uint64_t sequence)
      : core_(std::move(core)), sequence_(sequence) {}
  std::shared_ptr<DbCore> core_;
  const leveldb::Snapshot* snapshot_ = nullptr;  // null once invalidated
  const uint64_t sequence_;
};

struct ReadOptions {
  const Snapshot* snapshot = nullptr;
  // Verify LevelDB block checksums on this read; unset follows the
  // database's verify_checksums option (on by default).
  std::optional<bool> verify_checksums;
  bool fill_cache = true;
  // Iterator bounds over user keys: lower inclusive, upper exclusive. Owned.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
  // Iterators also stop at tombstones (DbIterator::deleted()): for dumps and
  // replication, which must carry deletes with their versions.
  bool include_deleted = false;
};

struct WriteOptions {
  bool sync = false;
};

// What a write committed: its op-log sequences (first..last, one per
// operation in order; both 0 when nothing was written).
struct CommitInfo {
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
};

// A stored record, tombstones included (for replication and tools).
struct Record {
  OpKind kind = OpKind::kPut;
  Version version;
  std::string value;
};

// A record with its key, as the raw scan returns it.
struct KeyedRecord {
  std::string key;
  Record record;
};

struct RecordScan {
  std::vector<KeyedRecord> records;
  // Where the next call resumes (its `start`); empty when the scan is done.
  std::optional<std::string> resume_key;
};

// An operation received from a peer, with the version its origin gave it.
struct ReceivedOp {
  OpKind kind = OpKind::kPut;
  Version version;
  std::string_view key;
  std::string_view value;
};

// A metadata entry written in the same LevelDB batch as a commit.
struct MetadataUpdate {
  std::string_view name;
  std::string_view value;
};

struct ApplyResult {
  size_t applied = 0;  // operations newer than the stored record
  size_t skipped = 0;  // operations the version guard refused
  CommitInfo commit;   // the sequences of the applied operations
};

class Db {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Db>> Open(
      const Options& options, const std::string& path,
      const DbEnv& env = DbEnv());
  // Removes the database at `path`. Busy while it is open anywhere; OK if it
  // does not exist.
  [[nodiscard]] static absl::Status Destroy(const std::string& path);

  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Local writes: the engine assigns each operation a version and an op-log
  // sequence. `info` (may be null) receives the sequences committed.
  [[nodiscard]] absl::Status Put(const WriteOptions& wo, std::string_view key,
                                 std::string_view value,
                                 CommitInfo* info = nullptr);
  [[nodiscard]] absl::Status Delete(const WriteOptions& wo,
                                    std::string_view key,
                                    CommitInfo* info = nullptr);
  [[nodiscard]] absl::Status Write(const WriteOptions& wo,
                                   const WriteBatch& batch,
                                   CommitInfo* info = nullptr);

  // Replicated writes: commits `ops` (from node `source`, with the versions
  // their origin gave them) where each is newer than the stored record, with
  // their op-log entries marked with `source`, and `metadata` (e.g. the
  // sender's receive cursor), all in one LevelDB batch, then updates the
  // cache version-guarded. The guard runs inside the write queue, so it
  // never races a local write; the clock observes the received versions, so
  // later local writes order after them. Idempotent: applying the same ops
  // twice writes them once. InvalidArgument (nothing written) for a bad key,
  // value or version, or a zero source.
  [[nodiscard]] absl::StatusOr<ApplyResult> Apply(
      const WriteOptions& wo, uint32_t source, absl::Span<const ReceivedOp> ops,
      absl::Span<const MetadataUpdate> metadata = {});

  // NotFound for a missing or deleted key. `version` may be null.
  [[nodiscard]] absl::Status Get(const ReadOptions& ro, std::string_view key,
                                 std::string* value,
                                 Version* version = nullptr);
  // Get into any destination (value_dest.h): into a caller's buffer, a
  // cache hit allocates nothing. A value longer than the buffer is OK with
  // dest->truncated() (a prefix was written; read again with size() bytes).
  [[nodiscard]] absl::Status GetInto(const ReadOptions& ro,
                                     std::string_view key, ValueDest* dest,
                                     Version* version = nullptr);
  // Get for every key of a batch: statuses[i] is what GetInto(keys[i],
  // &dests[i], &versions[i]) would return (versions may be null). The
  // cache lookups of the batch overlap their memory accesses; the misses
  // then read LevelDB one after the other.
  void MultiGet(const ReadOptions& ro, absl::Span<const std::string_view> keys,
                ValueDest* dests, absl::Status* statuses,
                Version* versions = nullptr);
  // The raw record, tombstone or not; NotFound if the key was never written.
  [[nodiscard]] absl::StatusOr<Record> GetRecord(const ReadOptions& ro,
                                                 std::string_view key);
  // Raw records (tombstones and versions included) with key >= `start`, in
  // key order, at `snapshot` (required: a resync streams one consistent
  // view), at most `max_records` or about `max_bytes`. Resumable by key.
  [[nodiscard]] absl::StatusOr<RecordScan> ScanRecords(const Snapshot& snapshot,
                                                       std::string_view start,
                                                       size_t max_records,
                                                       size_t max_bytes);

  [[nodiscard]] absl::StatusOr<std::unique_ptr<DbIterator>> NewIterator(
      const ReadOptions& ro);
  // A snapshot whose sequence() is exact: it is taken between two commits.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<Snapshot>> GetSnapshot();

  // Tombstone collection (db_tombstones.cc): deletes tombstones whose
  // version's hlc is < `max_hlc`, at most `max_records` of them, and
  // returns how many it deleted. A tombstone is deleted only if it is still
  // exactly that tombstone when the purge commits (the guard runs inside
  // the write queue, as Apply's does), so a write racing the purge is never
  // lost; live records are never touched. Writes no op-log entry (a purge
  // is not replicated: each node collects its own) and drops the keys from
  // the cache. A purged key reads as never written (GetRecord: NotFound;
  // include_deleted iterators and ScanRecords skip it), so a replicated
  // write older than the tombstone would then be applied: the caller
  // (replication) purges only below what every peer has acknowledged.
  // Resumable: each call continues the walk over the keys where the last
  // one stopped, wrapping around; a call that returns less than
  // `max_records` has visited every key once. Calls are serialised. A call
  // returns at once, without a walk, when the last complete walk left no
  // tombstone behind and none has been written since it began.
  [[nodiscard]] absl::StatusOr<uint64_t> PurgeTombstones(uint64_t max_hlc,
                                                         size_t max_records);

  // ---- Metadata (peer cursors and similar state) ----
  // A namespace of its own, apart from the engine's metadata and user data.
  // Names are 1..255 bytes. NotFound when absent.
  [[nodiscard]] absl::StatusOr<std::string> GetMetadata(std::string_view name);
  // Writes through the write queue (no op-log entry); see also Apply.
  [[nodiscard]] absl::Status PutMetadata(const WriteOptions& wo,
                                         std::string_view name,
                                         std::string_view value);

  // ---- Cache instances (see cache/cache_tier.h) ----
  // Unimplemented when the cache is disabled.
  // Adds an instance of `capacity_bytes`; returns its id. Data migrates to
  // it gradually.
  [[nodiscard]] absl::StatusOr<uint32_t> AddCacheInstance(
      uint64_t capacity_bytes);
  // Removes an instance; it is drained by the migration, then freed.
  [[nodiscard]] absl::Status RemoveCacheInstance(uint32_t id);
  // Moves now what instance `from` holds that belongs on `to`; returns the
  // items moved.
  [[nodiscard]] absl::StatusOr<uint64_t> TransferCache(uint32_t from,
                                                       uint32_t to);
  // Runs a running migration to its end now.
  [[nodiscard]] absl::Status FinishCacheMigration();
  // Waits until the background mover ends a running migration, the Db
  // closes or the deadline passes; returns whether the ring is stable
  // (true at once with the cache disabled or no migration running).
  bool WaitForCacheMigration(absl::Time deadline);

  // ---- Maintenance (db_maintenance.cc) ----
  // Compacts the user keys in [begin, end); nullopt means from the first /
  // to the last key. With both nullopt the whole database (op log and
  // metadata included) is compacted.
  [[nodiscard]] absl::Status CompactRange(std::optional<std::string_view> begin,
                                          std::optional<std::string_view> end);
  // LevelDB's estimate of the file-system bytes used by the user keys in
  // each [begin, end) range. Data still in the memtable counts as 0.
  struct KeyRange {
    std::string_view begin;
    std::string_view end;
  };
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> ApproximateSizes(
      const std::vector<KeyRange>& ranges);
  // Runs LevelDB's RepairDB on the database at `path` (which must not be
  // open anywhere: Busy otherwise), then drops its shared-memory cache
  // segments so the next open rebuilds the cache from the repaired data.
  [[nodiscard]] static absl::Status Repair(const Options& options,
                                           const std::string& path);

  // "cairn.stats", "cairn.options", "cairn.cache", "cairn.migration", or
  // "leveldb.*". NotFound otherwise.
  [[nodiscard]] absl::StatusOr<std::string> Property(std::string_view name);
  // One counter as an integer (db_tools.cc lists the names). NotFound for
  // an unknown name, InvalidArgument for a "leveldb.*" property that is not
  // an integer.
  [[nodiscard]] absl::StatusOr<uint64_t> IntProperty(std::string_view name);

  // ---- Op log (see op_log.h) ----
  // The sequence of the newest committed write (0 before the first).
  uint64_t LastSequence() const;
  // The oldest sequence still readable.
  uint64_t OpLogFirstSequence() const;
  // Up to `max_entries` entries with sequence >= `from`, in order. OutOfRange
  // if `from` was trimmed away (the reader needs a full resync).
  [[nodiscard]] absl::StatusOr<std::vector<OpEntry>> ReadOpLog(
      uint64_t from, size_t max_entries);
  // Whole batches from `from` up to the snapshot's sequence, each operation
  // with its value as of the snapshot, except those never shipped to node
  // `skip_node` (see OpLog::ReadBatches).
  [[nodiscard]] absl::StatusOr<std::vector<OpLogBatch>> ReadOpLogAt(
      const Snapshot& snapshot, uint64_t from, size_t max_entries,
      uint32_t skip_node = 0);
  // Keeps the newest `capacity_bytes` of committed batches in memory from
  // now on (op_log_tail.h), for ReadOpLogTail. Once; later calls are no-ops.
  void EnableOpLogTail(size_t capacity_bytes);
  // Whole batches from `from` up to LastSequence() out of the in-memory
  // tail, values as written (no operation is marked superseded); false when
  // the tail is off or no longer holds `from` (read with ReadOpLogAt).
  [[nodiscard]] bool ReadOpLogTail(uint64_t from, size_t max_entries,
                                   std::vector<OpLogBatch>* out);
  // The tail's memory and hit counters (all zero while it is off).
  OpLogTail::Stats OpLogTailStats();
  // Blocks until LastSequence() >= `sequence`, the deadline passes,
  // WakeSequenceWaiters() is called or the Db closes; returns whether the
  // sequence was reached. A commit wakes a waiter only once its sequence is
  // reached; `kicks` as in OpLog::WaitFor (op_log.h).
  bool WaitForSequence(uint64_t sequence, absl::Time deadline,
                       uint64_t* kicks = nullptr);
  // Wakes every WaitForSequence() caller now.
  void WakeSequenceWaiters();
  // Deletes entries with sequence <= `upto` (capped at LastSequence()),
  // whatever the retention and the hold.
  [[nodiscard]] absl::Status TrimOpLog(uint64_t upto);
  // The background trimmer keeps the newest `oplog.retain_ops` operations.
  // A hold keeps every operation from `from` on as well (replication holds
  // the log from its slowest peer's sequence); OutOfRange if `from` was
  // already trimmed. One hold per Db: setting it again moves it.
  [[nodiscard]] absl::Status SetOpLogHold(uint64_t from);
  void ClearOpLogHold();
  // A hold gives way once the op log's approximate size passes `bytes`
  // (0: never; the default). Replication sets replication.log_retention_mb.
  void SetOpLogHoldCap(uint64_t bytes);
  // Blocks until OpLogFirstSequence() >= `first`, the deadline passes or the
  // Db closes; returns whether it got there (waits for the trimmer).
  bool WaitForOpLogTrim(uint64_t first, absl::Time deadline);

  // Compacts all of LevelDB now (drops overwritten records and trimmed
  // op-log entries from the files). Slow; for tools and tests.
  void Compact();

  // Verifies the whole database (db_check.cc): every table block's checksum,
  // the write-ahead logs and manifest, every record's and op-log entry's
  // format, the metadata, and that every cached item matches LevelDB.
  // Returns the report as JSON (see README "Damaged data") and sets *clean;
  // fails only when the check itself cannot run.
  [[nodiscard]] absl::StatusOr<std::string> Check(bool* clean);

  const Options& options() const { return options_; }
  // The canonical (absolute, symlink-free) path of the database directory.
  const std::string& path() const { return path_; }
  uint32_t node_id() const { return node_id_; }
  // The database's LOG file (null if it could not be opened); for the
  // layers above, which log beside the engine.
  leveldb::Logger* info_log() const { return info_log_.get(); }
  const Stats& stats() const { return stats_; }

 private:
  Db(const Options& options, std::string path, const DbEnv& env);
  [[nodiscard]] absl::Status Init();
  [[nodiscard]] absl::Status CheckKey(std::string_view key) const;
  [[nodiscard]] absl::Status CheckValue(std::string_view key,
                                        std::string_view value) const;
  struct OpView {
    OpKind kind;
    std::string_view key;
    std::string_view value;
    Version version;  // replicated writes: the received version
  };
  struct CommitRequest;
  struct Writer;
  // Commits one request through the leader/follower write queue.
  [[nodiscard]] absl::Status Commit(const WriteOptions& wo,
                                    CommitRequest* request);
  // Builds the LevelDB batch of a write group (the leader, outside the lock).
  // Copies a committed group's logged batches into the tail.
  void AppendToTail(OpLogTail* tail, Writer* const* group, size_t n);
  [[nodiscard]] absl::Status BuildGroup(Writer* const* group, size_t n,
                                        uint64_t* sequence,
                                        leveldb::WriteBatch* batch,
                                        uint64_t* tombstones);
  struct PurgeCandidates;
  // Up to `max` tombstones older than `max_hlc` with keys in [from, until)
  // (until: nullopt means the end), for PurgeTombstones.
  [[nodiscard]] absl::Status FindTombstones(
      std::string_view from, const std::optional<std::string>& until,
      uint64_t max_hlc, size_t max, PurgeCandidates* out);
  // Commits the purge of `candidates` through the write queue; returns how
  // many were still those tombstones, and so deleted.
  [[nodiscard]] absl::StatusOr<uint64_t> CommitPurge(
      const PurgeCandidates& candidates);
  // Write-through after a commit: newer versions replace cached ones.
  void UpdateCache(const OpView* ops, size_t n, const Version* versions,
                   const bool* applied);
  // LevelDB's record of `key` into *raw, *record viewing it: NotFound for
  // a missing or deleted key (counted as a miss).
  absl::Status ReadRecord(const leveldb::ReadOptions& lro, std::string_view key,
                          std::string* raw, RecordView* record);
  // Fills LevelDB read options; fails for a released or foreign snapshot.
  [[nodiscard]] absl::Status ResolveReadOptions(
      const ReadOptions& ro, leveldb::ReadOptions* out) const;
  [[nodiscard]] absl::Status LoadMetadata();
  // LevelDB read options for Cairn's own reads (metadata, op log): checked
  // as the database's verify_checksums option says.
  leveldb::ReadOptions InternalReadOptions() const;
  // Corruption if the op log has a hole at its front or in its newest part:
  // writes LevelDB dropped while recovering (db_recovery_check.cc).
  // `recovered_from` names the logs and manifests present before LevelDB
  // recovered (RecoveryFiles), for the message.
  [[nodiscard]] absl::Status CheckRecoveredOpLog(
      const std::vector<std::string>& recovered_from);
  static std::vector<std::string> RecoveryFiles(leveldb::Env* env,
                                                const std::string& path);
  [[nodiscard]] absl::Status OpenCache();
  [[nodiscard]] static absl::Status CacheDisabled();
  std::string StatsJson();

  const Options options_;
  const std::string path_;
  leveldb::Env* const env_;
  // env_ wrapped to name the file of a corruption (read_trail.h).
  std::unique_ptr<leveldb::Env> trail_env_;
  // trail_env_ with this database's own background thread (background_env.h)
  // when options_.own_background_thread; LevelDB is opened with this one if
  // set, else with trail_env_. Destroyed after ldb_.
  std::unique_ptr<leveldb::Env> background_env_;
  uint32_t node_id_ = 0;
  std::unique_ptr<DbLock> lock_;
  std::unique_ptr<leveldb::Logger> info_log_;
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::unique_ptr<leveldb::DB> ldb_;
  std::unique_ptr<OpLog> oplog_;
  // The in-memory op-log tail (EnableOpLogTail): set once, under write_mu_.
  std::unique_ptr<OpLogTail> owned_tail_;
  std::atomic<OpLogTail*> tail_{nullptr};
  std::unique_ptr<OpLogTrimmer> trimmer_;  // stopped before ldb_ closes
  std::shared_ptr<DbCore> core_;
  std::unique_ptr<cache::CacheTier> cache_;       // null when disabled
  const bool cache_invalidates_;                  // cache.write_policy
  const std::function<uint64_t()> cache_now_ms_;  // DbEnv::cache_now_ms
  HybridClock clock_;
  Stats stats_;
  const std::function<void(std::string_view)> sync_point_;  // DbEnv

  Mutex write_mu_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(write_mu_);
  // A leader is writing to LevelDB with write_mu_ released.
  bool writing_ ABSL_GUARDED_BY(write_mu_) = false;
  // GetSnapshot callers waiting for a gap between two commits; a leader
  // lets them in before it starts a group.
  int snapshot_waiters_ ABSL_GUARDED_BY(write_mu_) = 0;
  CondVar between_commits_;  // writing_ or snapshot_waiters_ changed
  // The first failed LevelDB write: later writes are refused with it (see
  // Commit). write_failed_ mirrors it for writes outside the queue.
  absl::Status write_error_ ABSL_GUARDED_BY(write_mu_);
  std::atomic<bool> write_failed_{false};

  // Serialises PurgeTombstones; taken before write_mu_.
  Mutex purge_mu_ ABSL_ACQUIRED_BEFORE(write_mu_);
  // Where the next PurgeTombstones resumes its walk ("" = the first key).
  std::string purge_cursor_ ABSL_GUARDED_BY(purge_mu_);
  // Tombstones written (counted after their LevelDB write), so a purge can
  // skip its walk when no tombstone can exist: the last complete lap left
  // none behind (purge_clean_) and the count is what it was when that lap
  // began (purge_clean_at_).
  std::atomic<uint64_t> tombstones_written_{0};
  bool purge_lap_open_ ABSL_GUARDED_BY(purge_mu_) = false;
  uint64_t purge_lap_start_ ABSL_GUARDED_BY(purge_mu_) = 0;
  uint64_t purge_lap_left_ ABSL_GUARDED_BY(purge_mu_) = 0;
  bool purge_clean_ ABSL_GUARDED_BY(purge_mu_) = false;
  uint64_t purge_clean_at_ ABSL_GUARDED_BY(purge_mu_) = 0;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_DB_H_
