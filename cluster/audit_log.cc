// AuditLog over its own LevelDB (the layout: audit_record_codec.h).
//
// An append is the record and its index entry, written in one LevelDB batch
// by the caller (sync, or no flush_interval) or queued for the batch writer
// (audit_writer.h), without a lock of ours: the sequence that tells apart
// records of one microsecond comes from an atomic counter, and the keys
// order the records whatever order the writes land in.
// The total size (keys and values of records and index entries) is counted
// at open by one scan and kept in an atomic afterwards; retention compares
// it with retention_bytes. One Trim runs at a time (trim_mu_); it reads a
// snapshot and drops the oldest records with their index entries, in
// batches.
#include "cluster/audit_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cluster/audit_record_codec.h"
#include "cluster/audit_writer.h"
#include "cluster/client_wire.h"
#include "engine/info_log.h"
#include "engine/mutex.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/write_batch.h"

namespace cairn::cluster {
namespace {

// The lock file every Cairn data database holds (engine/db_lock.h), and the
// key of its format marker (engine/format_version.h, under the 'm' prefix).
constexpr char kDataLockFile[] = "CAIRN.LOCK";
constexpr char kDataFormatKey[] = "mformat_version";
// Records dropped per LevelDB batch by Trim.
constexpr int kTrimBatch = 256;

absl::Status FromLevelDb(const leveldb::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (s.IsNotSupportedError()) return absl::UnimplementedError(message);
  // An I/O error: the file system said no (ENOSPC, EACCES, EIO...).
  return absl::ResourceExhaustedError(message);
}

absl::Status MakeDirs(const std::string& path) {
  std::filesystem::path partial;
  for (const auto& part : std::filesystem::path(path)) {
    partial /= part;
    struct stat st;
    if (partial.empty() || stat(partial.c_str(), &st) == 0) continue;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      const int err = errno;
      return absl::ResourceExhaustedError(
          absl::StrCat("audit log: cannot create directory '", partial.string(),
                       "': ", strerror(err)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOptions(const std::string& path, const AuditOptions& o) {
  if (path.empty()) {
    return absl::InvalidArgumentError("audit log: the path is empty");
  }
  if (o.retention_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit log: retention age must be positive, got ",
                     absl::FormatDuration(o.retention_age)));
  }
  if (o.retention_bytes == 0) {
    return absl::InvalidArgumentError(
        "audit log: retention bytes must be positive, got 0");
  }
  if (o.trim_interval < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit log: trim interval must not be negative, got ",
                     absl::FormatDuration(o.trim_interval)));
  }
  return absl::OkStatus();
}

// Refuses a directory that holds something other than an audit log before
// LevelDB touches it.
absl::Status CheckDirectory(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return MakeDirs(path);
    return absl::ResourceExhaustedError(
        absl::StrCat("audit log: cannot access '", path, "': ", strerror(err)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit log: '", path, "' exists and is not a directory"));
  }
  const std::string lock = path + "/" + kDataLockFile;
  if (stat(lock.c_str(), &st) == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "audit log: '", path, "' is a Cairn data database (it holds ",
        kDataLockFile, "); the audit log needs a directory of its own"));
  }
  return absl::OkStatus();
}

// The logs open in this process, by real path: a second open is refused
// before it touches the directory. (Probing LevelDB's fcntl LOCK from the
// process that holds it would release it when the probe's fd closes.)
Mutex g_open_mu;
std::set<std::string>* OpenLogs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_open_mu) {
  static auto* logs = new std::set<std::string>;
  return logs;
}

// LevelDB locks <log>/LOCK with fcntl: ask the kernel whether another
// process holds it before renaming the message log of a log in use.
absl::Status CheckNotHeldElsewhere(const std::string& path) {
  const int fd = open((path + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::OkStatus();  // absent: nobody holds it
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  const int rc = fcntl(fd, F_GETLK, &fl);
  close(fd);
  if (rc == 0 && fl.l_type != F_UNLCK) {
    return absl::AbortedError(
        absl::StrCat("audit log '", path, "' is open in process ", fl.l_pid));
  }
  return absl::OkStatus();
}

uint64_t IndexEntryBytes(std::string_view method) {
  return AuditIndexPrefix(method).size() + 16;
}

class LevelDbAuditLog final : public AuditLog {
 public:
  LevelDbAuditLog(std::string path, const AuditOptions& options)
      : path_(std::move(path)), options_(options) {}
  ~LevelDbAuditLog() override;

  absl::Status Init();

  absl::Status Append(const AuditRecord& record) override;
  absl::StatusOr<std::vector<AuditRecord>> Query(const std::string& method,
                                                 absl::Time since,
                                                 absl::Time until,
                                                 size_t limit) override;
  absl::StatusOr<uint64_t> Trim() override;
  absl::Status Flush() override {
    return writer_ != nullptr ? writer_->Flush() : absl::OkStatus();
  }

 private:
  absl::Status CheckMarker();
  absl::Status CountBytes();
  absl::StatusOr<uint64_t> TrimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(trim_mu_);
  void TrimLoop();
  // retention_bytes as the signed total is counted (UINT64_MAX: no cap).
  int64_t Cap() const {
    return static_cast<int64_t>(
        std::min<uint64_t>(options_.retention_bytes, INT64_MAX));
  }
  leveldb::ReadOptions ReadOptions() const {
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    return ro;
  }

  const std::string path_;
  const AuditOptions options_;
  std::string registered_;  // the real path in OpenLogs(), once there
  std::unique_ptr<leveldb::Logger> info_log_;
  std::unique_ptr<leveldb::DB> db_;
  std::unique_ptr<AuditBatchWriter> writer_;  // null: appends write
  std::atomic<uint64_t> next_seq_{1};
  // Bytes of records and index entries; signed because a Trim may subtract
  // a record before a racing Append has added its own.
  std::atomic<int64_t> bytes_{0};

  Mutex trim_mu_;  // one Trim at a time

  Mutex mu_;
  CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;  // an append passed the cap
  std::thread trimmer_;
};

LevelDbAuditLog::~LevelDbAuditLog() {
  {
    MutexLock l(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (trimmer_.joinable()) trimmer_.join();
  writer_.reset();  // writes what is queued
  db_.reset();      // before the logger it writes to
  if (!registered_.empty()) {
    MutexLock l(&g_open_mu);
    OpenLogs()->erase(registered_);
  }
}

absl::Status LevelDbAuditLog::Init() {
  if (absl::Status s = CheckDirectory(path_); !s.ok()) return s;
  char* resolved = realpath(path_.c_str(), nullptr);
  if (resolved == nullptr) {
    const int err = errno;
    return absl::ResourceExhaustedError(absl::StrCat(
        "audit log: cannot resolve '", path_, "': ", strerror(err)));
  }
  std::string real(resolved);
  free(resolved);
  {
    MutexLock l(&g_open_mu);
    if (!OpenLogs()->insert(real).second) {
      return absl::AbortedError(absl::StrCat(
          "audit log '", path_, "' is already open in this process"));
    }
  }
  registered_ = std::move(real);
  if (absl::Status s = CheckNotHeldElsewhere(path_); !s.ok()) return s;
  leveldb::Env* env = leveldb::Env::Default();
  leveldb::Logger* logger = nullptr;
  env->RenameFile(path_ + "/LOG", path_ + "/LOG.old");  // absent at first
  if (env->NewLogger(path_ + "/LOG", &logger).ok()) info_log_.reset(logger);

  leveldb::Options lo;
  lo.create_if_missing = true;
  lo.info_log = info_log_.get();
  lo.max_open_files = 64;
  leveldb::DB* raw = nullptr;
  leveldb::Status ls = leveldb::DB::Open(lo, path_, &raw);
  if (!ls.ok()) {
    if (ls.IsIOError() && ls.ToString().find("lock") != std::string::npos) {
      return absl::AbortedError(absl::StrCat(
          "audit log '", path_,
          "' is open in another process or handle: ", ls.ToString()));
    }
    return FromLevelDb(ls,
                       absl::StrCat("audit log: cannot open '", path_, "'"));
  }
  db_.reset(raw);
  if (absl::Status s = CheckMarker(); !s.ok()) return s;
  if (absl::Status s = CountBytes(); !s.ok()) return s;
  // Retention failing at open (a damaged old record, say) leaves the log
  // readable: it is logged, and tried again by the next Trim.
  if (options_.trim_at_open) {
    if (absl::StatusOr<uint64_t> dropped = Trim(); !dropped.ok()) {
      InfoLog(info_log_.get(), "cairn audit: retention at open failed: %s",
              std::string(dropped.status().message()).c_str());
    }
  }
  InfoLog(info_log_.get(), "cairn audit: opened %s, %lld bytes, next seq %llu",
          path_.c_str(), static_cast<long long>(bytes_.load()),
          static_cast<unsigned long long>(next_seq_.load()));
  if (options_.trim_interval > absl::ZeroDuration()) {
    trimmer_ = std::thread([this] { TrimLoop(); });
  }
  if (!options_.sync && options_.flush_interval > absl::ZeroDuration()) {
    writer_ = std::make_unique<AuditBatchWriter>(
        db_.get(), options_.flush_interval,
        absl::StrCat("audit log '", path_, "'"));
  }
  return absl::OkStatus();
}

absl::Status LevelDbAuditLog::CheckMarker() {
  std::string format;
  leveldb::Status ls = db_->Get(ReadOptions(), kAuditMarkerKey, &format);
  if (ls.ok()) {
    if (format != kAuditFormat) {
      return absl::UnimplementedError(
          absl::StrCat("audit log '", path_, "' has format '", format,
                       "'; this build reads format ", kAuditFormat));
    }
    return absl::OkStatus();
  }
  if (!ls.IsNotFound()) {
    return FromLevelDb(
        ls, absl::StrCat("audit log '", path_, "': reading the format marker"));
  }
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ReadOptions()));
  it->SeekToFirst();
  if (it->Valid()) {
    std::string ignored;
    const bool data = db_->Get(ReadOptions(), kDataFormatKey, &ignored).ok();
    return absl::FailedPreconditionError(absl::StrCat(
        "audit log: '", path_, "' ",
        data ? "is a Cairn data database"
             : "holds a LevelDB database that is not an audit log",
        " (no audit format marker); the audit log needs a directory of its "
        "own"));
  }
  if (!it->status().ok()) {
    return FromLevelDb(it->status(),
                       absl::StrCat("audit log '", path_, "': reading"));
  }
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(
      db_->Put(wo, kAuditMarkerKey, kAuditFormat),
      absl::StrCat("audit log '", path_, "': writing the format marker"));
}

absl::Status LevelDbAuditLog::CountBytes() {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ReadOptions()));
  int64_t bytes = 0;
  uint64_t max_seq = 0;
  for (it->Seek(std::string(1, kAuditIndexPrefix)); it->Valid(); it->Next()) {
    const leveldb::Slice key = it->key();
    if (key[0] != kAuditIndexPrefix && key[0] != kAuditRecordPrefix) break;
    bytes += static_cast<int64_t>(key.size() + it->value().size());
    if (key[0] == kAuditRecordPrefix) {
      absl::StatusOr<AuditKey> k =
          ParseAuditRecordKey(std::string_view(key.data(), key.size()));
      if (!k.ok()) return k.status();
      max_seq = std::max(max_seq, k->seq);
    }
  }
  if (!it->status().ok()) {
    return FromLevelDb(it->status(),
                       absl::StrCat("audit log '", path_, "': counting"));
  }
  bytes_.store(bytes);
  next_seq_.store(max_seq + 1);
  return absl::OkStatus();
}

absl::Status LevelDbAuditLog::Append(const AuditRecord& record) {
  if (record.method.size() > kMaxAuditMethodBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit record: method name of ", record.method.size(),
                     " bytes (at most ", kMaxAuditMethodBytes, ")"));
  }
  const int64_t start_us = AuditMicros(record.start);
  const uint64_t seq = next_seq_.fetch_add(1, std::memory_order_relaxed);
  const std::string key = AuditRecordKey(start_us, seq);
  std::string value;
  EncodeAuditRecord(record, &value);
  const int64_t added = static_cast<int64_t>(key.size() + value.size() +
                                             IndexEntryBytes(record.method));
  if (writer_ != nullptr) {
    if (absl::Status s = writer_->Add(
            key, std::move(value), AuditIndexKey(record.method, start_us, seq));
        !s.ok()) {
      return s;
    }
  } else {
    leveldb::WriteBatch batch;
    batch.Put(key, value);
    batch.Put(AuditIndexKey(record.method, start_us, seq), leveldb::Slice());
    leveldb::WriteOptions wo;
    wo.sync = options_.sync;
    if (absl::Status s =
            FromLevelDb(db_->Write(wo, &batch),
                        absl::StrCat("audit log '", path_, "': appending"));
        !s.ok()) {
      return s;
    }
  }
  const int64_t total = bytes_.fetch_add(added) + added;
  if (total > Cap()) {
    MutexLock l(&mu_);
    if (!wake_) {
      wake_ = true;
      cv_.Signal();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuditRecord>> LevelDbAuditLog::Query(
    const std::string& method, absl::Time since, absl::Time until,
    size_t limit) {
  if (limit == 0) {
    return absl::InvalidArgumentError("audit query: limit must be positive");
  }
  if (absl::Status s = Flush(); !s.ok()) return s;
  if (since > until) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit query: since (", absl::FormatTime(since),
                     ") is after until (", absl::FormatTime(until), ")"));
  }
  if (method.size() > kMaxAuditMethodBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit query: method name of ", method.size(),
                     " bytes (at most ", kMaxAuditMethodBytes, ")"));
  }
  const int64_t since_us = AuditMicros(since);
  const int64_t until_us = AuditMicros(until);
  std::vector<AuditRecord> out;
  // One snapshot for the index and the records it names: a concurrent Trim
  // drops both in one batch, so they agree inside it.
  const leveldb::Snapshot* snapshot = db_->GetSnapshot();
  struct Release {
    leveldb::DB* db;
    const leveldb::Snapshot* s;
    ~Release() { db->ReleaseSnapshot(s); }
  } release{db_.get(), snapshot};
  leveldb::ReadOptions ro = ReadOptions();
  ro.snapshot = snapshot;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));

  // Decodes the record stored at `key` (value `value`) and checks that it
  // is the one its key says.
  auto take = [&](const std::string& key, std::string_view value,
                  const AuditKey& k) -> absl::Status {
    absl::StatusOr<AuditRecord> r = DecodeAuditRecord(value);
    if (!r.ok()) {
      return absl::DataLossError(
          absl::StrCat("audit log '", path_, "': record ",
                       AuditKeyForMessage(key), ": ", r.status().message()));
    }
    if (AuditMicros(r->start) != k.start_us ||
        (!method.empty() && r->method != method)) {
      return absl::DataLossError(absl::StrCat(
          "audit log '", path_, "': record ", AuditKeyForMessage(key),
          " does not match its key (start ", AuditMicros(r->start),
          " us, method '", r->method, "')"));
    }
    out.push_back(*std::move(r));
    return absl::OkStatus();
  };

  if (method.empty()) {
    for (it->Seek(AuditRecordKey(since_us, 0));
         it->Valid() && out.size() < limit; it->Next()) {
      const std::string key = it->key().ToString();
      if (key[0] != kAuditRecordPrefix) break;
      absl::StatusOr<AuditKey> k = ParseAuditRecordKey(key);
      if (!k.ok()) return k.status();
      if (k->start_us >= until_us) break;
      const leveldb::Slice v = it->value();
      if (absl::Status s = take(key, std::string_view(v.data(), v.size()), *k);
          !s.ok()) {
        return s;
      }
    }
  } else {
    const std::string prefix = AuditIndexPrefix(method);
    std::string value;
    for (it->Seek(AuditIndexKey(method, since_us, 0));
         it->Valid() && out.size() < limit; it->Next()) {
      const leveldb::Slice ikey = it->key();
      if (!ikey.starts_with(prefix)) break;
      absl::StatusOr<AuditKey> k = ParseAuditIndexKey(
          method, std::string_view(ikey.data(), ikey.size()));
      if (!k.ok()) return k.status();
      if (k->start_us >= until_us) break;
      const std::string key = AuditRecordKey(k->start_us, k->seq);
      leveldb::Status ls = db_->Get(ro, key, &value);
      if (ls.IsNotFound()) {
        return absl::DataLossError(absl::StrCat(
            "audit log '", path_, "': index entry ",
            AuditKeyForMessage(std::string_view(ikey.data(), ikey.size())),
            " names record ", AuditKeyForMessage(key), ", which is missing"));
      }
      if (!ls.ok()) {
        return FromLevelDb(
            ls, absl::StrCat("audit log '", path_, "': reading record ",
                             AuditKeyForMessage(key)));
      }
      if (absl::Status s = take(key, value, *k); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) {
    return FromLevelDb(it->status(),
                       absl::StrCat("audit log '", path_, "': querying"));
  }
  return out;
}

absl::StatusOr<uint64_t> LevelDbAuditLog::Trim() {
  MutexLock l(&trim_mu_);
  return TrimLocked();
}

absl::StatusOr<uint64_t> LevelDbAuditLog::TrimLocked() {
  const int64_t cutoff_us = AuditMicros(absl::Now() - options_.retention_age);
  const int64_t cap = Cap();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ReadOptions()));
  uint64_t dropped = 0;
  leveldb::WriteBatch batch;
  int in_batch = 0;
  int64_t batch_bytes = 0;
  auto flush = [&]() -> absl::Status {
    if (in_batch == 0) return absl::OkStatus();
    leveldb::WriteOptions wo;
    wo.sync = options_.sync;
    if (absl::Status s = FromLevelDb(
            db_->Write(wo, &batch),
            absl::StrCat("audit log '", path_, "': dropping old records"));
        !s.ok()) {
      return s;
    }
    bytes_.fetch_sub(batch_bytes);
    dropped += in_batch;
    batch.Clear();
    in_batch = 0;
    batch_bytes = 0;
    return absl::OkStatus();
  };
  for (it->Seek(std::string(1, kAuditRecordPrefix)); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key[0] != kAuditRecordPrefix) break;
    absl::StatusOr<AuditKey> k = ParseAuditRecordKey(key);
    if (!k.ok()) return k.status();
    const bool too_old = k->start_us < cutoff_us;
    const bool too_big = bytes_.load() - batch_bytes > cap;
    if (!too_old && !too_big) break;
    const leveldb::Slice v = it->value();
    absl::StatusOr<AuditRecord> r =
        DecodeAuditRecord(std::string_view(v.data(), v.size()));
    int64_t bytes = static_cast<int64_t>(key.size() + v.size());
    batch.Delete(key);
    if (r.ok() && r->method.size() <= kMaxAuditMethodBytes) {
      batch.Delete(AuditIndexKey(r->method, k->start_us, k->seq));
      bytes += static_cast<int64_t>(IndexEntryBytes(r->method));
    } else {
      // A damaged record does not say which index entry is its own: drop
      // the entries every known method could have, so retention goes on.
      InfoLog(info_log_.get(), "cairn audit: dropping damaged record %s: %s",
              AuditKeyForMessage(key).c_str(),
              std::string(r.status().message()).c_str());
      for (uint8_t m = 1; m <= kMaxMethod; ++m) {
        batch.Delete(AuditIndexKey(MethodName(static_cast<Method>(m)),
                                   k->start_us, k->seq));
      }
    }
    batch_bytes += bytes;
    if (++in_batch == kTrimBatch) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) {
    return FromLevelDb(it->status(),
                       absl::StrCat("audit log '", path_, "': trimming"));
  }
  if (absl::Status s = flush(); !s.ok()) return s;
  if (dropped > 0) {
    InfoLog(info_log_.get(), "cairn audit: retention dropped %llu records",
            static_cast<unsigned long long>(dropped));
  }
  return dropped;
}

void LevelDbAuditLog::TrimLoop() {
  // After a failure, appends past the cap do not wake the loop before the
  // interval is over: a failing Trim is not retried in a tight loop.
  bool failed = false;
  for (;;) {
    {
      MutexLock l(&mu_);
      const absl::Time deadline = absl::Now() + options_.trim_interval;
      while (!stop_ && (failed || !wake_)) {
        if (cv_.WaitWithDeadline(&mu_, deadline)) break;
      }
      if (stop_) return;
      wake_ = false;
    }
    absl::StatusOr<uint64_t> dropped = Trim();
    failed = !dropped.ok();
    if (failed) {
      InfoLog(info_log_.get(), "cairn audit: retention failed: %s",
              std::string(dropped.status().message()).c_str());
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(
    const std::string& path, const AuditOptions& options) {
  if (absl::Status s = CheckOptions(path, options); !s.ok()) return s;
  auto log = std::make_unique<LevelDbAuditLog>(path, options);
  if (absl::Status s = log->Init(); !s.ok()) return s;
  return std::unique_ptr<AuditLog>(std::move(log));
}

}  // namespace cairn::cluster
