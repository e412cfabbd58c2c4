// Db: opening, closing and destroying a database (see db.h).
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/db.h"
#include "engine/db_core.h"
#include "engine/db_lock.h"
#include "engine/format_version.h"
#include "engine/info_log.h"
#include "engine/op_log_tail.h"
#include "engine/op_log_trimmer.h"
#include "engine/background_env.h"
#include "engine/read_trail.h"
#include "engine/status.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"

namespace cairn {
namespace {

constexpr char kNodeIdMeta[] = "node_id";
// The cache ring layout (engine/ring/layout.h).
constexpr char kCacheLayoutMeta[] = "cache.layout";

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Creates `path` and missing parents with mode 0700 (RELIABILITY S3).
absl::Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p(path);
  std::filesystem::path partial;
  for (const auto& part : p) {
    partial /= part;
    if (partial.empty() || Exists(partial.string())) continue;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      int err = errno;
      return IoError(absl::StrCat("cannot create directory '", partial.string(),
                                  "': ", strerror(err)));
    }
  }
  return absl::OkStatus();
}

// Checks the directory and decides whether Open may go on, before anything
// is written.
absl::Status CheckPath(const Options& options, const std::string& path,
                       leveldb::Env* env) {
  if (path.empty()) return absl::InvalidArgumentError("database path is empty");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    int err = errno;
    if (err != ENOENT) {
      return IoError(absl::StrCat("cannot access database path '", path,
                                  "': ", strerror(err)));
    }
    if (!options.create_if_missing) {
      return absl::NotFoundError(absl::StrCat(
          "database '", path, "' does not exist (create_if_missing is false)"));
    }
    return MakeDirs(path);
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database path '", path, "' exists and is not a directory"));
  }
  if (access(path.c_str(), R_OK | W_OK | X_OK) != 0) {
    int err = errno;
    return IoError(absl::StrCat("cannot use database directory '", path,
                                "': ", strerror(err)));
  }
  bool exists = env->FileExists(path + "/CURRENT");
  if (exists && options.error_if_exists) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database '", path, "' already exists (error_if_exists is true)"));
  }
  if (!exists && !options.create_if_missing) {
    return absl::NotFoundError(absl::StrCat(
        "database '", path, "' does not exist (create_if_missing is false)"));
  }
  return absl::OkStatus();
}

// LevelDB locks <db>/LOCK with fcntl(F_SETLK) and reports a held lock as a
// plain I/O error. Our own lock (DbLock) keeps Cairn openers out first, so a
// held LOCK means another program (a LevelDB tool, say) has the database:
// ask the kernel who, and say Busy with its pid.
absl::Status CheckLevelDbLock(const std::string& dir) {
  std::string path = dir + "/LOCK";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::OkStatus();  // absent: nobody holds it
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  int rc = fcntl(fd, F_GETLK, &fl);
  close(fd);
  if (rc == 0 && fl.l_type != F_UNLCK) {
    return BusyError(absl::StrCat(
        "database '", dir, "' is locked by LevelDB in process ", fl.l_pid));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Canonical(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    int err = errno;
    return IoError(absl::StrCat("cannot resolve database path '", path,
                                "': ", strerror(err)));
  }
  std::string out(resolved);
  free(resolved);
  return out;
}

}  // namespace

Db::Db(const Options& options, std::string path, const DbEnv& env)
    : options_(options),
      path_(std::move(path)),
      env_(env.env != nullptr ? env.env : leveldb::Env::Default()),
      cache_invalidates_(options.cache_write_policy == "invalidate"),
      cache_now_ms_(env.cache_now_ms),
      clock_(env.now),
      sync_point_(env.sync_point) {}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const Options& options,
                                             const std::string& path,
                                             const DbEnv& env) {
  leveldb::Env* lenv = env.env != nullptr ? env.env : leveldb::Env::Default();
  if (options.background_nice > 0 && !options.own_background_thread) {
    // LevelDB's shared thread serves every database in the process.
    return absl::InvalidArgumentError(absl::StrCat(
        "background_nice is ", options.background_nice,
        " but own_background_thread is false: only a database's own "
        "background thread can run at a lower priority"));
  }
  if (absl::Status s = CheckPath(options, path, lenv); !s.ok()) return s;
  absl::StatusOr<std::string> canonical = Canonical(path);
  if (!canonical.ok()) return canonical.status();
  std::unique_ptr<Db> db(new Db(options, *canonical, env));
  if (absl::Status s = db->Init(); !s.ok()) return s;
  return db;
}

absl::Status Db::Init() {
  absl::StatusOr<std::unique_ptr<DbLock>> lock = DbLock::Acquire(path_);
  if (!lock.ok()) return lock.status();
  lock_ = std::move(*lock);

  if (env_ == leveldb::Env::Default()) {
    if (absl::Status s = CheckLevelDbLock(path_); !s.ok()) return s;
  }
  leveldb::Env* env = env_;
  // The directory exists on the real filesystem (the lock lives there); an
  // injected Env may keep its own namespace.
  (void)env->CreateDir(path_);
  // One message log for LevelDB and Cairn: <db>/LOG, the previous one kept as
  // LOG.old (as LevelDB does when it owns the log).
  std::string log_path = path_ + "/LOG";
  env->RenameFile(log_path, path_ + "/LOG.old");  // absent on first open
  leveldb::Logger* logger = nullptr;
  if (env->NewLogger(log_path, &logger).ok()) info_log_.reset(logger);

  leveldb::Options lo;
  lo.create_if_missing = options_.create_if_missing;
  lo.error_if_exists = options_.error_if_exists;
  lo.paranoid_checks = options_.paranoid_checks;
  lo.write_buffer_size = options_.write_buffer_size;
  lo.max_open_files = static_cast<int>(options_.max_open_files);
  lo.block_size = options_.block_size;
  lo.compression = options_.compression == "snappy"
                       ? leveldb::kSnappyCompression
                       : leveldb::kNoCompression;
  lo.info_log = info_log_.get();
  trail_env_ = NewReadTrailEnv(env);
  lo.env = trail_env_.get();
  if (options_.own_background_thread) {
    background_env_ =
        NewBackgroundEnv(trail_env_.get(), "cairn-compact",
                         static_cast<int>(options_.background_nice));
    lo.env = background_env_.get();
  }
  if (options_.block_cache_mb > 0) {
    block_cache_.reset(leveldb::NewLRUCache(options_.block_cache_mb << 20));
    lo.block_cache = block_cache_.get();
  }
  if (options_.bloom_bits_per_key > 0) {
    filter_policy_.reset(leveldb::NewBloomFilterPolicy(
        static_cast<int>(options_.bloom_bits_per_key)));
    lo.filter_policy = filter_policy_.get();
  }
  leveldb::DB* raw = nullptr;
  const std::vector<std::string> recovered_from = RecoveryFiles(env, path_);
  ReadTrail trail;
  leveldb::Status s = leveldb::DB::Open(lo, path_, &raw);
  if (!s.ok()) {
    return ReadTrail::Convert(
        s, absl::StrCat("cannot open database '", path_, "'"));
  }
  ldb_.reset(raw);
  oplog_ = std::make_unique<OpLog>(ldb_.get(), options_.verify_checksums);
  core_ = std::make_shared<DbCore>(ldb_.get());
  // Before anything of ours is written: a newer format is refused untouched.
  if (absl::Status st = CheckFormatVersion(ldb_.get(), path_); !st.ok()) {
    return st;
  }
  if (absl::Status st = LoadMetadata(); !st.ok()) return st;
  if (options_.paranoid_checks) {
    if (absl::Status st = CheckRecoveredOpLog(recovered_from); !st.ok()) {
      return st;
    }
  }
  if (absl::Status st = OpenCache(); !st.ok()) return st;
  OpLogRetention retention;
  retention.retain_ops = options_.oplog_retain_ops;
  // hold_cap_bytes stays 0 (a hold is never overridden) until replication
  // brings its retention option.
  trimmer_ = std::make_unique<OpLogTrimmer>(oplog_.get(), info_log_.get());
  oplog_->SetRetention(retention);
  if (info_log_) {
    InfoLog(info_log_.get(), "cairn: opened %s node_id=%u last_sequence=%llu",
            path_.c_str(), node_id_,
            static_cast<unsigned long long>(LastSequence()));
  }
  return absl::OkStatus();
}

absl::Status Db::OpenCache() {
  if (options_.cache_capacity_mb == 0) {
    // Segments left by an earlier run with the cache on would go stale.
    (void)cache::CacheTier::RemoveSegments(path_);
    return absl::OkStatus();
  }
  cache::TierOptions to;
  to.capacity_bytes = options_.cache_capacity_mb << 20;
  to.instances = static_cast<uint32_t>(options_.cache_instances);
  to.max_item_size = options_.cache_max_item_size;
  to.ttl_ms = options_.cache_ttl_ms;
  to.lock_timeout_ms = static_cast<uint32_t>(options_.cache_lock_timeout_ms);
  to.migration_rate = options_.migration_rate_items_per_sec;
  absl::StatusOr<cache::AdmissionPolicy> admission =
      cache::ParseAdmissionPolicy(options_.cache_admission);
  if (!admission.ok()) return admission.status();
  to.admission = *admission;
  to.now_ms = cache_now_ms_;
  std::string saved;
  leveldb::Status ls =
      ldb_->Get(InternalReadOptions(), MetaKey(kCacheLayoutMeta), &saved);
  if (ls.ok()) {
    to.saved_layout = std::move(saved);
  } else if (!ls.IsNotFound()) {
    return ReadTrail::Convert(ls, "reading the cache layout");
  }
  to.save_layout = [this](const std::string& encoded) -> absl::Status {
    if (write_failed_.load(std::memory_order_acquire)) {
      return IoError("not saving the cache layout after a failed write");
    }
    leveldb::WriteOptions wo;
    wo.sync = true;
    leveldb::Status s = ldb_->Put(wo, MetaKey(kCacheLayoutMeta), encoded);
    return s.ok() ? absl::OkStatus()
                  : FromLevelDB(s, "saving the cache layout");
  };
  absl::StatusOr<std::unique_ptr<cache::CacheTier>> tier =
      cache::CacheTier::Open(to, path_, LastSequence(), info_log_.get());
  if (!tier.ok()) return tier.status();
  cache_ = std::move(*tier);
  return absl::OkStatus();
}

leveldb::ReadOptions Db::InternalReadOptions() const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = options_.verify_checksums;
  return ro;
}

absl::Status Db::LoadMetadata() {
  ReadTrail trail;
  leveldb::ReadOptions ro = InternalReadOptions();
  std::string value;
  // Node id: the option if set, else the persisted one, else a new random
  // non-zero id, persisted so versions from this database stay attributable.
  uint64_t stored = 0;
  leveldb::Status s = ldb_->Get(ro, MetaKey(kNodeIdMeta), &value);
  if (s.ok() && (!absl::SimpleAtoi(value, &stored) || stored == 0 ||
                 stored > UINT32_MAX || absl::StrCat(stored) != value)) {
    return CorruptionError(
        absl::StrCat("metadata node_id is malformed: '", value, "'"));
  } else if (!s.ok() && !s.IsNotFound()) {
    return ReadTrail::Convert(s, "reading node id");
  }
  node_id_ = static_cast<uint32_t>(options_.node_id);
  if (node_id_ == 0) node_id_ = static_cast<uint32_t>(stored);
  while (node_id_ == 0) node_id_ = std::random_device{}();
  if (node_id_ != stored) {
    s = ldb_->Put(leveldb::WriteOptions(), MetaKey(kNodeIdMeta),
                  absl::StrCat(node_id_));
    if (!s.ok()) return FromLevelDB(s, "writing node id");
  }
  return oplog_->Recover(&clock_);
}

Db::~Db() {
  if (oplog_) oplog_->Close();
  trimmer_.reset();  // joins: no trim runs past this point
  if (core_) core_->Close();
  // Clean close: the segments record the sequence they match, so the next
  // open reattaches them warm.
  if (cache_) cache_->Close(LastSequence());
  cache_.reset();
  if (info_log_ && ldb_) {
    InfoLog(info_log_.get(), "cairn: closing, last_sequence=%llu",
            static_cast<unsigned long long>(LastSequence()));
  }
  oplog_.reset();
  ldb_.reset();  // before the cache, filter policy and logger it uses
  block_cache_.reset();
  filter_policy_.reset();
  info_log_.reset();
  lock_.reset();
}

absl::Status Db::Destroy(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("database path is empty");
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    int err = errno;
    return IoError(absl::StrCat("cannot access database path '", path,
                                "': ", strerror(err)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database path '", path, "' exists and is not a directory"));
  }
  absl::StatusOr<std::string> canonical = Canonical(path);
  if (!canonical.ok()) return canonical.status();
  absl::StatusOr<std::unique_ptr<DbLock>> lock = DbLock::Acquire(*canonical);
  if (!lock.ok()) return lock.status();
  leveldb::Status s = leveldb::DestroyDB(*canonical, leveldb::Options());
  if (!s.ok()) {
    return FromLevelDB(s, absl::StrCat("cannot destroy '", *canonical, "'"));
  }
  if (absl::Status st = cache::CacheTier::RemoveSegments(*canonical);
      !st.ok()) {
    return st;
  }
  std::string lock_path = absl::StrCat(*canonical, "/", DbLock::kFileName);
  unlink(lock_path.c_str());
  lock->reset();
  rmdir(canonical->c_str());  // fails, harmlessly, if the caller left files
  return absl::OkStatus();
}

}  // namespace cairn
