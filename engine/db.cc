#include "engine/db.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/db_core.h"
#include "engine/db_iterator.h"
#include "engine/db_lock.h"
#include "engine/info_log.h"
#include "engine/status.h"
#include "engine/strings.h"
#include "leveldb/cache.h"
#include "leveldb/env.h"
#include "leveldb/filter_policy.h"
#include "leveldb/write_batch.h"
#include "nlohmann/json.hpp"

namespace cairn {
namespace {

constexpr char kNodeIdMeta[] = "node_id";
constexpr char kTrimmedUptoMeta[] = "oplog.trimmed_upto";
// The cache ring layout (engine/ring/layout.h).
constexpr char kCacheLayoutMeta[] = "cache.layout";
constexpr char kTrimmedHlcMeta[] = "oplog.trimmed_hlc";

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
absl::Status CheckPath(const Options& options, const std::string& path) {
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
  bool exists = Exists(path + "/CURRENT");
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

// A small stack buffer for 'd'+key, avoiding a heap allocation per read for
// typical keys.
class DataKeyBuffer {
 public:
  explicit DataKeyBuffer(std::string_view key) {
    if (key.size() + 1 <= sizeof(inline_)) {
      inline_[0] = kDataPrefix;
      memcpy(inline_ + 1, key.data(), key.size());
      slice_ = leveldb::Slice(inline_, key.size() + 1);
    } else {
      heap_ = DataKey(key);
      slice_ = leveldb::Slice(heap_);
    }
  }
  const leveldb::Slice& slice() const { return slice_; }

 private:
  char inline_[128];
  std::string heap_;
  leveldb::Slice slice_;
};

}  // namespace

Snapshot::~Snapshot() { core_->ReleaseSnapshot(this); }

absl::Status Db::ResolveReadOptions(const ReadOptions& ro,
                                    void* leveldb_read_options) const {
  auto* out = static_cast<leveldb::ReadOptions*>(leveldb_read_options);
  out->verify_checksums = ro.verify_checksums;
  out->fill_cache = ro.fill_cache;
  if (ro.snapshot != nullptr) {
    // Reading without the snapshot would silently show newer data.
    if (ro.snapshot->handle() == nullptr) {
      return absl::UnavailableError(
          "snapshot was released or its database closed");
    }
    if (ro.snapshot->core_ != core_) {
      return absl::InvalidArgumentError("snapshot belongs to another database");
    }
    out->snapshot = static_cast<const leveldb::Snapshot*>(ro.snapshot->handle());
  }
  return absl::OkStatus();
}

Db::Db(const Options& options, std::string path)
    : options_(options),
      path_(std::move(path)),
      cache_invalidates_(options.cache_write_policy == "invalidate") {}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const Options& options,
                                             const std::string& path) {
  if (absl::Status s = CheckPath(options, path); !s.ok()) return s;
  absl::StatusOr<std::string> canonical = Canonical(path);
  if (!canonical.ok()) return canonical.status();
  std::unique_ptr<Db> db(new Db(options, *canonical));
  if (absl::Status s = db->Init(); !s.ok()) return s;
  return db;
}

absl::Status Db::Init() {
  absl::StatusOr<std::unique_ptr<DbLock>> lock = DbLock::Acquire(path_);
  if (!lock.ok()) return lock.status();
  lock_ = std::move(*lock);

  leveldb::Env* env = leveldb::Env::Default();
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
  leveldb::Status s = leveldb::DB::Open(lo, path_, &raw);
  if (!s.ok()) {
    return FromLevelDB(s, absl::StrCat("cannot open database '", path_, "'"));
  }
  ldb_.reset(raw);
  core_ = std::make_shared<DbCore>(ldb_.get());
  if (absl::Status st = LoadMetadata(); !st.ok()) return st;
  if (options_.cache_capacity_mb > 0) {
    cache::TierOptions to;
    to.capacity_bytes = options_.cache_capacity_mb << 20;
    to.instances = static_cast<uint32_t>(options_.cache_instances);
    to.max_item_size = options_.cache_max_item_size;
    to.ttl_ms = options_.cache_ttl_ms;
    to.lock_timeout_ms = static_cast<uint32_t>(options_.cache_lock_timeout_ms);
    to.migration_rate = options_.migration_rate_items_per_sec;
    std::string saved;
    leveldb::Status ls =
        ldb_->Get(leveldb::ReadOptions(), MetaKey(kCacheLayoutMeta), &saved);
    if (ls.ok()) {
      to.saved_layout = std::move(saved);
    } else if (!ls.IsNotFound()) {
      return FromLevelDB(ls, "reading the cache layout");
    }
    to.save_layout = [this](const std::string& encoded) -> absl::Status {
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
  } else {
    // Segments left by an earlier run with the cache on would go stale.
    (void)cache::CacheTier::RemoveSegments(path_);
  }
  if (info_log_) {
    InfoLog(info_log_.get(),
                 "cairn: opened %s node_id=%u last_sequence=%llu",
                 path_.c_str(), node_id_,
                 static_cast<unsigned long long>(LastSequence()));
  }
  return absl::OkStatus();
}

absl::Status Db::LoadMetadata() {
  leveldb::ReadOptions ro;
  std::string value;
  // Node id: the option if set, else the persisted one, else a new random
  // non-zero id, persisted so versions from this database stay attributable.
  uint64_t stored = 0;
  leveldb::Status s = ldb_->Get(ro, MetaKey(kNodeIdMeta), &value);
  if (s.ok() && !absl::SimpleAtoi(value, &stored)) {
    return CorruptionError(absl::StrCat("metadata node_id is malformed: '",
                                        value, "'"));
  } else if (!s.ok() && !s.IsNotFound()) {
    return FromLevelDB(s, "reading node id");
  }
  node_id_ = static_cast<uint32_t>(options_.node_id);
  if (node_id_ == 0) node_id_ = static_cast<uint32_t>(stored);
  while (node_id_ == 0) node_id_ = std::random_device{}();
  if (node_id_ != stored) {
    s = ldb_->Put(leveldb::WriteOptions(), MetaKey(kNodeIdMeta),
                  absl::StrCat(node_id_));
    if (!s.ok()) return FromLevelDB(s, "writing node id");
  }

  uint64_t trimmed = 0;
  s = ldb_->Get(ro, MetaKey(kTrimmedUptoMeta), &value);
  if (s.ok()) {
    if (value.size() != 8) return CorruptionError("op-log trim point malformed");
    trimmed = DecodeFixed64(value.data());
  }
  s = ldb_->Get(ro, MetaKey(kTrimmedHlcMeta), &value);
  if (s.ok() && value.size() == 8) clock_.Observe(DecodeFixed64(value.data()));
  trimmed_upto_.store(trimmed);

  // The newest op-log entry gives the last sequence and the HLC high water.
  uint64_t last = trimmed;
  std::unique_ptr<leveldb::Iterator> it(ldb_->NewIterator(ro));
  it->Seek(std::string(1, kOpLogPrefix + 1));
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  if (it->Valid() && it->key().size() > 0 && it->key()[0] == kOpLogPrefix) {
    absl::StatusOr<uint64_t> first =
        ParseOpLogKey({it->key().data(), it->key().size()});
    if (!first.ok()) return first.status();
    std::vector<OpEntry> ops;
    absl::Status st = ParseOpBatch(
        *first, {it->value().data(), it->value().size()}, 0, SIZE_MAX, &ops);
    if (!st.ok()) return st;
    for (const OpEntry& e : ops) {
      last = std::max(last, e.sequence);
      clock_.Observe(e.version.hlc);
    }
  }
  if (!it->status().ok()) return FromLevelDB(it->status(), "reading op log");
  last_sequence_.store(last, std::memory_order_release);
  return absl::OkStatus();
}

Db::~Db() {
  if (core_) core_->Close();
  // Clean close: the segments record the sequence they match, so the next
  // open reattaches them warm.
  if (cache_) cache_->Close(LastSequence());
  cache_.reset();
  if (info_log_ && ldb_) {
    InfoLog(info_log_.get(), "cairn: closing, last_sequence=%llu",
                 static_cast<unsigned long long>(LastSequence()));
  }
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

absl::Status Db::CheckKey(std::string_view key) const {
  if (key.empty()) return absl::InvalidArgumentError("key is empty");
  if (key.size() > options_.max_key_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("key of ", key.size(), " bytes exceeds max_key_size (",
                     options_.max_key_size, ")"));
  }
  return absl::OkStatus();
}

absl::Status Db::CheckValue(std::string_view key,
                            std::string_view value) const {
  if (value.size() > options_.max_value_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "value of ", value.size(), " bytes exceeds max_value_size (",
        options_.max_value_size, ")"));
  }
  return absl::OkStatus();
}

absl::Status Db::Put(const WriteOptions& wo, std::string_view key,
                     std::string_view value) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (absl::Status s = CheckValue(key, value); !s.ok()) return s;
  OpView op{OpKind::kPut, key, value};
  Version version;
  absl::Status s = Commit(wo, &op, 1, &version);
  if (s.ok()) {
    UpdateCache(&op, 1, &version);
    stats_.Add(Counter::kPuts);
    stats_.Add(Counter::kBytesWritten, key.size() + value.size());
  }
  return s;
}

absl::Status Db::Delete(const WriteOptions& wo, std::string_view key) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  OpView op{OpKind::kDelete, key, {}};
  Version version;
  absl::Status s = Commit(wo, &op, 1, &version);
  if (s.ok()) {
    UpdateCache(&op, 1, &version);
    stats_.Add(Counter::kDeletes);
  }
  return s;
}

absl::Status Db::Write(const WriteOptions& wo, const WriteBatch& batch) {
  if (batch.ByteSize() > options_.max_batch_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch of ", batch.ByteSize(),
                     " bytes exceeds max_batch_bytes (",
                     options_.max_batch_bytes, ")"));
  }
  const auto& ops = batch.ops();
  for (size_t i = 0; i < ops.size(); ++i) {
    absl::Status s = CheckKey(ops[i].key);
    if (s.ok() && ops[i].kind == OpKind::kPut) {
      s = CheckValue(ops[i].key, ops[i].value);
    }
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("batch operation ", i, ": ", s.message()));
    }
  }
  if (ops.empty()) return absl::OkStatus();
  std::vector<OpView> views;
  views.reserve(ops.size());
  for (const WriteBatch::Op& op : ops) views.push_back({op.kind, op.key, op.value});
  std::vector<Version> versions(views.size());
  absl::Status s = Commit(wo, views.data(), views.size(), versions.data());
  if (s.ok()) {
    UpdateCache(views.data(), views.size(), versions.data());
    stats_.Add(Counter::kBatches);
    stats_.Add(Counter::kBatchOps, ops.size());
    stats_.Add(Counter::kBytesWritten, batch.ByteSize());
  }
  return s;
}

void Db::UpdateCache(const OpView* ops, size_t n, const Version* versions) {
  if (!cache_) return;
  cache::CacheTier::Access cache(cache_.get());
  for (size_t i = 0; i < n; ++i) {
    uint64_t h = cache::KeyHash(ops[i].key);
    if (ops[i].kind == OpKind::kPut && !cache_invalidates_) {
      cache.Update(h, ops[i].key, ops[i].value, versions[i]);
    } else {
      cache.Invalidate(h, ops[i].key, versions[i]);
    }
  }
}

struct Db::Writer {
  const OpView* ops;
  Version* versions;
  size_t n;
  bool sync;
  bool done = false;
  absl::Status status;
  CondVar cv;
};

absl::Status Db::Commit(const WriteOptions& wo, const OpView* ops, size_t n,
                        Version* versions) {
  // Bounds one group so a burst of writers does not build a huge batch, as
  // LevelDB does (1 MiB).
  constexpr size_t kMaxGroupBytes = 1 << 20;
  Writer self{ops, versions, n, wo.sync};
  MutexLock l(&write_mu_);
  writers_.push_back(&self);
  while (!self.done && writers_.front() != &self) self.cv.Wait(&write_mu_);
  if (self.done) return self.status;

  // Leader: take writers from the front while they fit. A non-sync leader
  // does not take sync writers, so they never return before their sync.
  absl::InlinedVector<Writer*, 16> group;
  size_t bytes = 0;
  for (Writer* w : writers_) {
    if (!group.empty() && ((w->sync && !self.sync) || bytes > kMaxGroupBytes)) {
      break;
    }
    group.push_back(w);
    for (size_t i = 0; i < w->n; ++i) {
      bytes += w->ops[i].key.size() + w->ops[i].value.size();
    }
  }
  // Reused per thread: a put then allocates nothing of its own here.
  thread_local leveldb::WriteBatch lb;
  thread_local std::string key_buf, value_buf;
  lb.Clear();
  uint64_t seq = last_sequence_.load(std::memory_order_relaxed);
  thread_local std::string oplog_buf;
  for (Writer* w : group) {
    // One op-log value per atomic batch, keyed by its first sequence.
    const uint64_t first = seq + 1;
    oplog_buf.clear();
    OpBatchWriter oplog(&oplog_buf, static_cast<uint32_t>(w->n));
    for (size_t i = 0; i < w->n; ++i) {
      const OpView& op = w->ops[i];
      Version v{clock_.Now(), node_id_};
      w->versions[i] = v;
      ++seq;
      key_buf.clear();
      AppendDataKey(&key_buf, op.key);
      value_buf.clear();
      AppendRecord(&value_buf, op.kind, v, op.value);
      lb.Put(key_buf, value_buf);
      oplog.Add(op.kind, v, op.key);
    }
    lb.Put(OpLogKey(first), oplog_buf);
  }
  if (oplog_buf.capacity() > (1u << 20)) std::string().swap(oplog_buf);
  leveldb::WriteOptions lwo;
  lwo.sync = self.sync;
  // Other writers may queue meanwhile; only the front writer leads, and we
  // stay at the front until the group is popped, so writes never overlap.
  write_mu_.Unlock();
  leveldb::Status ls = ldb_->Write(lwo, &lb);
  // A huge batch should not pin its memory in this thread forever.
  if (lb.ApproximateSize() > (1u << 20)) lb = leveldb::WriteBatch();
  write_mu_.Lock();
  absl::Status status;
  if (ls.ok()) {
    last_sequence_.store(seq, std::memory_order_release);
  } else {
    stats_.Add(Counter::kWriteErrors);
    status = FromLevelDB(ls, "write failed");
  }
  for (Writer* w : group) {
    writers_.pop_front();
    w->status = status;
    w->done = true;
    if (w != &self) w->cv.Signal();
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();  // the next leader
  return status;
}

absl::Status Db::Get(const ReadOptions& ro, std::string_view key,
                     std::string* value, Version* version) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  stats_.Add(Counter::kGets);
  leveldb::ReadOptions lro;
  if (absl::Status st = ResolveReadOptions(ro, &lro); !st.ok()) return st;
  // The cache holds the newest version only: snapshot reads bypass it.
  const bool use_cache = cache_ != nullptr && ro.snapshot == nullptr;
  uint64_t hash = 0;
  cache::CacheTier::FillHandle fill;
  // Pins the cache route from the lookup to the fill (see CacheTier).
  std::optional<cache::CacheTier::Access> cache;
  if (use_cache) {
    cache.emplace(cache_.get());
    hash = cache::KeyHash(key);
    Version v;
    if (cache->Get(hash, key, value, &v)) {
      if (version != nullptr) *version = v;
      stats_.Add(Counter::kGetHits);
      stats_.Add(Counter::kBytesRead, value->size());
      return absl::OkStatus();
    }
    // Taken before the LevelDB read: a write racing it voids the fill.
    if (ro.fill_cache) fill = cache->BeginFill(hash, key);
  }
  DataKeyBuffer dk(key);
  leveldb::Status s = ldb_->Get(lro, dk.slice(), value);
  if (s.IsNotFound()) {
    stats_.Add(Counter::kGetMisses);
    return absl::NotFoundError("key not found");
  }
  if (!s.ok()) return FromLevelDB(s, "get failed");
  absl::StatusOr<RecordView> r = ParseRecord(*value);
  if (!r.ok()) return r.status();
  if (r->kind == OpKind::kDelete) {
    stats_.Add(Counter::kGetMisses);
    value->clear();
    return absl::NotFoundError("key not found");
  }
  if (version != nullptr) *version = r->version;
  if (fill.instance != nullptr) cache->Fill(fill, key, r->value, r->version);
  value->erase(0, kRecordHeaderSize);
  stats_.Add(Counter::kGetHits);
  stats_.Add(Counter::kBytesRead, value->size());
  return absl::OkStatus();
}

absl::StatusOr<Record> Db::GetRecord(const ReadOptions& ro,
                                     std::string_view key) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  leveldb::ReadOptions lro;
  if (absl::Status st = ResolveReadOptions(ro, &lro); !st.ok()) return st;
  std::string raw;
  DataKeyBuffer dk(key);
  leveldb::Status s = ldb_->Get(lro, dk.slice(), &raw);
  if (s.IsNotFound()) return absl::NotFoundError("key not found");
  if (!s.ok()) return FromLevelDB(s, "get failed");
  absl::StatusOr<RecordView> r = ParseRecord(raw);
  if (!r.ok()) return r.status();
  return Record{r->kind, r->version, std::string(r->value)};
}

absl::StatusOr<std::unique_ptr<DbIterator>> Db::NewIterator(
    const ReadOptions& ro) {
  leveldb::ReadOptions lro;
  if (absl::Status st = ResolveReadOptions(ro, &lro); !st.ok()) return st;
  std::unique_ptr<DbIterator> it(new DbIterator(
      core_, ldb_->NewIterator(lro), ro.lower_bound, ro.upper_bound));
  if (!core_->RegisterIterator(it.get())) {
    return absl::UnavailableError("database is closed");
  }
  stats_.Add(Counter::kIterators);
  return it;
}

absl::StatusOr<std::shared_ptr<Snapshot>> Db::GetSnapshot() {
  std::shared_ptr<Snapshot> snap(new Snapshot(core_, nullptr));
  snap->snapshot_ = core_->NewSnapshot(snap.get());
  if (snap->snapshot_ == nullptr) {
    return absl::UnavailableError("database is closed");
  }
  stats_.Add(Counter::kSnapshots);
  return snap;
}

uint64_t Db::OpLogFirstSequence() const {
  return trimmed_upto_.load(std::memory_order_acquire) + 1;
}

absl::StatusOr<std::vector<OpEntry>> Db::ReadOpLog(uint64_t from,
                                                   size_t max_entries) {
  uint64_t first = OpLogFirstSequence();
  if (from < first) {
    return absl::OutOfRangeError(
        absl::StrCat("op log starts at sequence ", first, "; sequence ", from,
                     " was trimmed"));
  }
  std::vector<OpEntry> out;
  uint64_t last = LastSequence();
  if (from > last || max_entries == 0) return out;
  std::unique_ptr<leveldb::Iterator> it(
      ldb_->NewIterator(leveldb::ReadOptions()));
  // The batch holding `from` may start before it: step back one entry.
  std::string target = OpLogKey(from);
  it->Seek(target);
  if (!it->Valid() || it->key().compare(target) != 0) {
    if (it->Valid()) {
      it->Prev();
    } else {
      it->SeekToLast();
    }
    if (!it->Valid() || it->key().size() == 0 || it->key()[0] != kOpLogPrefix) {
      it->Seek(target);
    }
  }
  for (; it->Valid() && out.size() < max_entries; it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() == 0 || k[0] != kOpLogPrefix) break;
    absl::StatusOr<uint64_t> batch_first = ParseOpLogKey({k.data(), k.size()});
    if (!batch_first.ok()) return batch_first.status();
    if (*batch_first > last) break;  // committed after we started: next read
    absl::Status st =
        ParseOpBatch(*batch_first, {it->value().data(), it->value().size()},
                     from, max_entries - out.size(), &out);
    if (!st.ok()) return st;
  }
  if (!it->status().ok()) return FromLevelDB(it->status(), "reading op log");
  return out;
}

absl::Status Db::TrimOpLog(uint64_t upto) {
  // Writers only add sequences above LastSequence(), so trimming below it
  // needs no write lock; trims are serialised among themselves. A batch is
  // deleted once all its operations are at or below `upto`; readers never
  // see operations below the trim point either way.
  MutexLock l(&trim_mu_);
  upto = std::min(upto, LastSequence());
  if (upto < OpLogFirstSequence()) return absl::OkStatus();
  std::unique_ptr<leveldb::Iterator> it(
      ldb_->NewIterator(leveldb::ReadOptions()));
  uint64_t last_hlc = 0;
  constexpr size_t kChunk = 10000;  // bounded LevelDB batches
  leveldb::WriteBatch lb;
  size_t n = 0;
  for (it->Seek(std::string(1, kOpLogPrefix)); it->Valid(); it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() == 0 || k[0] != kOpLogPrefix) break;
    absl::StatusOr<uint64_t> first = ParseOpLogKey({k.data(), k.size()});
    if (!first.ok()) return first.status();
    absl::StatusOr<uint32_t> count =
        OpBatchCount({it->value().data(), it->value().size()});
    if (!count.ok()) return count.status();
    if (*first + *count - 1 > upto) break;
    std::vector<OpEntry> ops;
    if (ParseOpBatch(*first, {it->value().data(), it->value().size()}, 0,
                     SIZE_MAX, &ops)
            .ok() &&
        !ops.empty()) {
      last_hlc = std::max(last_hlc, ops.back().version.hlc);
    }
    lb.Delete(k);
    if (++n == kChunk) {
      leveldb::Status s = ldb_->Write(leveldb::WriteOptions(), &lb);
      if (!s.ok()) return FromLevelDB(s, "trimming op log");
      lb.Clear();
      n = 0;
    }
  }
  if (!it->status().ok()) return FromLevelDB(it->status(), "trimming op log");
  std::string v;
  PutFixed64(&v, upto);
  lb.Put(MetaKey(kTrimmedUptoMeta), v);
  if (last_hlc > 0) {
    v.clear();
    PutFixed64(&v, last_hlc);
    lb.Put(MetaKey(kTrimmedHlcMeta), v);
  }
  leveldb::Status s = ldb_->Write(leveldb::WriteOptions(), &lb);
  if (!s.ok()) return FromLevelDB(s, "trimming op log");
  trimmed_upto_.store(upto, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status Db::CacheDisabled() {
  return absl::UnimplementedError(
      "the shared-memory cache is disabled (cache.capacity_mb=0)");
}

absl::StatusOr<uint32_t> Db::AddCacheInstance(uint64_t capacity_bytes) {
  if (!cache_) return CacheDisabled();
  return cache_->AddInstance(capacity_bytes);
}

absl::Status Db::RemoveCacheInstance(uint32_t id) {
  if (!cache_) return CacheDisabled();
  return cache_->RemoveInstance(id);
}

absl::StatusOr<uint64_t> Db::TransferCache(uint32_t from, uint32_t to) {
  if (!cache_) return CacheDisabled();
  return cache_->Transfer(from, to);
}

absl::Status Db::FinishCacheMigration() {
  if (!cache_) return CacheDisabled();
  return cache_->FinishMigration();
}

absl::StatusOr<std::string> Db::Property(std::string_view name) {
  if (name == "cairn.stats") return StatsJson();
  if (name == "cairn.options") return OptionsToJson(options_);
  if (name == "cairn.cache") {
    if (!cache_) return std::string("{\"enabled\":false}");
    return cache_->PropertyJson();
  }
  if (name == "cairn.migration") {
    if (!cache_) return std::string("{\"enabled\":false,\"state\":\"stable\"}");
    return cache_->MigrationJson();
  }
  if (absl::StartsWith(AV(name), "leveldb.")) {
    std::string value;
    if (ldb_->GetProperty(leveldb::Slice(name.data(), name.size()), &value)) {
      return value;
    }
  }
  return absl::NotFoundError(absl::StrCat("unknown property '", AV(name), "'"));
}

std::string Db::StatsJson() {
  nlohmann::ordered_json j;
  for (int c = 0; c < static_cast<int>(Counter::kCount); ++c) {
    j[CounterName(static_cast<Counter>(c))] =
        stats_.Get(static_cast<Counter>(c));
  }
  j["last_sequence"] = LastSequence();
  j["oplog_first_sequence"] = OpLogFirstSequence();
  j["node_id"] = node_id_;
  nlohmann::ordered_json ldb;
  std::string v;
  uint64_t n = 0;
  if (ldb_->GetProperty("leveldb.approximate-memory-usage", &v) &&
      absl::SimpleAtoi(v, &n)) {
    ldb["approximate_memory_usage"] = n;
  }
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (int level = 0; level < 7; ++level) {
    if (ldb_->GetProperty(absl::StrCat("leveldb.num-files-at-level", level),
                          &v) &&
        absl::SimpleAtoi(v, &n)) {
      files.push_back(n);
    }
  }
  ldb["files_per_level"] = files;
  j["leveldb"] = ldb;
  nlohmann::ordered_json cache;
  cache["enabled"] = cache_ != nullptr;
  if (cache_) {
    cache::TierTotals t = cache_->Totals();
    cache["capacity_bytes"] = t.capacity_bytes;
    cache["used_bytes"] = t.used_bytes;
    cache["items"] = t.items;
    cache["hits"] = t.hits;
    cache["misses"] = t.misses;
    cache["fills"] = t.fills;
    cache["evictions"] = t.evictions;
    cache["expirations"] = t.expirations;
  }
  j["cache"] = cache;
  return j.dump();
}

}  // namespace cairn
