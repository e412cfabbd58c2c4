// Db: Cairn's local engine — a versioned key-value store on LevelDB.
//
// A Db owns one database directory. Every write (put, delete, batch) assigns
// each operation a Version (hybrid logical clock + node id) and an op-log
// sequence number, and commits the records and their op-log entries in one
// atomic LevelDB batch (see format.h). Deletes write versioned tombstones.
// Reads hide tombstones. The op log is what replication consumes: readable
// from a sequence number and trimmable up to one.
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
#include <deque>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/format.h"
#include "engine/mutex.h"
#include "engine/options.h"
#include "engine/stats.h"
#include "engine/version.h"
#include "engine/write_batch.h"

namespace leveldb {
class DB;
class Cache;
class FilterPolicy;
class Logger;
}  // namespace leveldb

namespace cairn {

class DbCore;
class DbIterator;
class DbLock;
namespace cache {
class CacheTier;
}

// A consistent point-in-time view. Shared by the caller and the Db; valid
// until released or the Db closes.
class Snapshot {
 public:
  ~Snapshot();
  // Internal: the leveldb::Snapshot*, null once released or closed.
  const void* handle() const { return snapshot_; }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

 private:
  friend class Db;
  friend class DbCore;
  Snapshot(std::shared_ptr<DbCore> core, const void* leveldb_snapshot)
      : core_(std::move(core)), snapshot_(leveldb_snapshot) {}
  std::shared_ptr<DbCore> core_;
  const void* snapshot_;  // leveldb::Snapshot*, null once invalidated
};

struct ReadOptions {
  const Snapshot* snapshot = nullptr;
  bool verify_checksums = false;
  bool fill_cache = true;
  // Iterator bounds over user keys: lower inclusive, upper exclusive. Owned.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
};

struct WriteOptions {
  bool sync = false;
};

// A stored record, tombstones included (for replication and tools).
struct Record {
  OpKind kind = OpKind::kPut;
  Version version;
  std::string value;
};

class Db {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Db>> Open(
      const Options& options, const std::string& path);
  // Removes the database at `path`. Busy while it is open anywhere; OK if it
  // does not exist.
  [[nodiscard]] static absl::Status Destroy(const std::string& path);

  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  [[nodiscard]] absl::Status Put(const WriteOptions& wo, std::string_view key,
                                 std::string_view value);
  [[nodiscard]] absl::Status Delete(const WriteOptions& wo,
                                    std::string_view key);
  [[nodiscard]] absl::Status Write(const WriteOptions& wo,
                                   const WriteBatch& batch);

  // NotFound for a missing or deleted key. `version` may be null.
  [[nodiscard]] absl::Status Get(const ReadOptions& ro, std::string_view key,
                                 std::string* value,
                                 Version* version = nullptr);
  // The raw record, tombstone or not; NotFound if the key was never written.
  [[nodiscard]] absl::StatusOr<Record> GetRecord(const ReadOptions& ro,
                                                 std::string_view key);

  [[nodiscard]] absl::StatusOr<std::unique_ptr<DbIterator>> NewIterator(
      const ReadOptions& ro);
  [[nodiscard]] absl::StatusOr<std::shared_ptr<Snapshot>> GetSnapshot();

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

  // "cairn.stats", "cairn.options", "cairn.cache", "cairn.migration", or
  // "leveldb.*". NotFound otherwise.
  [[nodiscard]] absl::StatusOr<std::string> Property(std::string_view name);

  // ---- Op log ----
  // The sequence of the newest committed write (0 before the first).
  uint64_t LastSequence() const {
    return last_sequence_.load(std::memory_order_acquire);
  }
  // The oldest sequence still readable.
  uint64_t OpLogFirstSequence() const;
  // Up to `max_entries` entries with sequence >= `from`, in order. OutOfRange
  // if `from` was trimmed away (the reader needs a full resync).
  [[nodiscard]] absl::StatusOr<std::vector<OpEntry>> ReadOpLog(
      uint64_t from, size_t max_entries);
  // Deletes entries with sequence <= `upto` (capped at LastSequence()).
  [[nodiscard]] absl::Status TrimOpLog(uint64_t upto);

  const Options& options() const { return options_; }
  // The canonical (absolute, symlink-free) path of the database directory.
  const std::string& path() const { return path_; }
  uint32_t node_id() const { return node_id_; }
  const Stats& stats() const { return stats_; }

 private:
  Db(const Options& options, std::string path);
  absl::Status Init();
  absl::Status CheckKey(std::string_view key) const;
  absl::Status CheckValue(std::string_view key, std::string_view value) const;
  struct OpView {
    OpKind kind;
    std::string_view key;
    std::string_view value;
  };
  struct Writer;
  // Commits `n` operations; on success versions[i] is the version of
  // ops[i].
  absl::Status Commit(const WriteOptions& wo, const OpView* ops, size_t n,
                      Version* versions);
  // Write-through after a commit: newer versions replace cached ones.
  void UpdateCache(const OpView* ops, size_t n, const Version* versions);
  // Fills LevelDB read options; fails for a released or foreign snapshot.
  absl::Status ResolveReadOptions(const ReadOptions& ro,
                                  void* leveldb_read_options) const;
  absl::Status LoadMetadata();
  static absl::Status CacheDisabled();
  std::string StatsJson();

  const Options options_;
  const std::string path_;
  uint32_t node_id_ = 0;
  std::unique_ptr<DbLock> lock_;
  std::unique_ptr<leveldb::Logger> info_log_;
  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  std::unique_ptr<leveldb::DB> ldb_;
  std::shared_ptr<DbCore> core_;
  std::unique_ptr<cache::CacheTier> cache_;  // null when disabled
  const bool cache_invalidates_;             // cache.write_policy
  HybridClock clock_;
  Stats stats_;

  Mutex write_mu_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(write_mu_);
  Mutex trim_mu_;
  std::atomic<uint64_t> last_sequence_{0};
  std::atomic<uint64_t> trimmed_upto_{0};
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_DB_H_
