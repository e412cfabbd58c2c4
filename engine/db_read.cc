// Db: the read path (see db.h) — point reads through the cache, raw
// records, iterators, snapshots and the raw scan.
#include <string.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/cache/placement.h"
#include "engine/db.h"
#include "engine/db_core.h"
#include "engine/db_iterator.h"
#include "engine/read_trail.h"
#include "engine/status.h"
#include "engine/strings.h"
#include "leveldb/db.h"

namespace cairn {
namespace {

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

// A record that does not parse, with the key it was stored under.
absl::Status RecordError(std::string_view key, const absl::Status& s) {
  return CorruptionError(absl::StrCat(
      "record of key '", absl::CHexEscape(AV(key)), "': ", s.message()));
}

}  // namespace

Snapshot::~Snapshot() { core_->ReleaseSnapshot(this); }

absl::Status Db::ResolveReadOptions(const ReadOptions& ro,
                                    leveldb::ReadOptions* out) const {
  out->verify_checksums =
      ro.verify_checksums.value_or(options_.verify_checksums);
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
    out->snapshot = ro.snapshot->handle();
  }
  return absl::OkStatus();
}

absl::Status Db::Get(const ReadOptions& ro, std::string_view key,
                     std::string* value, Version* version) {
  ValueDest dest(value);
  return GetInto(ro, key, &dest, version);
}

absl::Status Db::GetInto(const ReadOptions& ro, std::string_view key,
                         ValueDest* dest, Version* version) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  stats_.Add(Counter::kGets);
  leveldb::ReadOptions lro;
  if (absl::Status st = ResolveReadOptions(ro, &lro); !st.ok()) return st;
  // The cache holds the newest version only: snapshot reads bypass it.
  const bool use_cache = cache_ != nullptr && ro.snapshot == nullptr;
  cache::CacheTier::FillHandle fill;
  // Pins the cache route from the lookup to the fill (see CacheTier).
  std::optional<cache::CacheTier::Access> cache;
  if (use_cache) {
    cache.emplace(cache_.get());
    const uint64_t hash = cache::KeyHash(key);
    if (cache->Get(hash, key, dest, version)) {
      stats_.Add(Counter::kGetHits);
      stats_.Add(Counter::kBytesRead, dest->size());
      return absl::OkStatus();
    }
    // Taken before the LevelDB read: a write racing it voids the fill.
    if (ro.fill_cache) fill = cache->BeginFill(hash, key);
  }
  // Into the caller's string when there is one (then the header is cut
  // off in place), else a per-thread scratch string.
  thread_local std::string scratch;
  std::string* raw = dest->str() != nullptr ? dest->str() : &scratch;
  RecordView r;
  if (absl::Status s = ReadRecord(lro, key, raw, &r); !s.ok()) {
    dest->Clear();
    return s;
  }
  if (version != nullptr) *version = r.version;
  if (fill.pending()) cache->Fill(fill, key, r.value, r.version);
  if (raw == dest->str()) {
    raw->erase(0, kRecordHeaderSize);
    dest->Prepare(raw->size());
  } else {
    dest->Assign(r.value);
    if (scratch.capacity() > (1u << 20)) std::string().swap(scratch);
  }
  stats_.Add(Counter::kGetHits);
  stats_.Add(Counter::kBytesRead, dest->size());
  return absl::OkStatus();
}

absl::Status Db::ReadRecord(const leveldb::ReadOptions& lro,
                            std::string_view key, std::string* raw,
                            RecordView* record) {
  DataKeyBuffer dk(key);
  ReadTrail trail;
  leveldb::Status s = ldb_->Get(lro, dk.slice(), raw);
  if (s.IsNotFound()) {
    stats_.Add(Counter::kGetMisses);
    return absl::NotFoundError("key not found");
  }
  if (!s.ok()) return ReadTrail::Convert(s, "get failed");
  absl::StatusOr<RecordView> r = ParseRecord(*raw);
  if (!r.ok()) return RecordError(key, r.status());
  if (r->kind == OpKind::kDelete) {
    stats_.Add(Counter::kGetMisses);
    return absl::NotFoundError("key not found");
  }
  *record = *r;
  return absl::OkStatus();
}

absl::StatusOr<Record> Db::GetRecord(const ReadOptions& ro,
                                     std::string_view key) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  leveldb::ReadOptions lro;
  if (absl::Status st = ResolveReadOptions(ro, &lro); !st.ok()) return st;
  std::string raw;
  DataKeyBuffer dk(key);
  ReadTrail trail;
  leveldb::Status s = ldb_->Get(lro, dk.slice(), &raw);
  if (s.IsNotFound()) return absl::NotFoundError("key not found");
  if (!s.ok()) return ReadTrail::Convert(s, "get failed");
  absl::StatusOr<RecordView> r = ParseRecord(raw);
  if (!r.ok()) return RecordError(key, r.status());
  return Record{r->kind, r->version, std::string(r->value)};
}

absl::StatusOr<std::unique_ptr<DbIterator>> Db::NewIterator(
    const ReadOptions& ro) {
  leveldb::ReadOptions lro;
  if (absl::Status st = ResolveReadOptions(ro, &lro); !st.ok()) return st;
  std::unique_ptr<DbIterator> it(new DbIterator(core_, ldb_->NewIterator(lro),
                                                ro.lower_bound, ro.upper_bound,
                                                ro.include_deleted));
  if (!core_->RegisterIterator(it.get())) {
    return absl::UnavailableError("database is closed");
  }
  stats_.Add(Counter::kIterators);
  return it;
}

absl::StatusOr<std::shared_ptr<Snapshot>> Db::GetSnapshot() {
  // Taken between two commits, so its sequence is exact: a commit is either
  // wholly in the view (and published) or wholly after it.
  MutexLock l(&write_mu_);
  ++snapshot_waiters_;
  while (writing_) between_commits_.Wait(&write_mu_);
  std::shared_ptr<Snapshot> snap(new Snapshot(core_, LastSequence()));
  snap->snapshot_ = core_->NewSnapshot(snap.get());
  --snapshot_waiters_;
  between_commits_.SignalAll();  // a leader waits for this snapshot
  if (snap->snapshot_ == nullptr) {
    return absl::UnavailableError("database is closed");
  }
  stats_.Add(Counter::kSnapshots);
  return snap;
}

absl::StatusOr<RecordScan> Db::ScanRecords(const Snapshot& snapshot,
                                           std::string_view start,
                                           size_t max_records,
                                           size_t max_bytes) {
  ReadOptions ro;
  ro.snapshot = &snapshot;
  leveldb::ReadOptions lro;
  if (absl::Status st = ResolveReadOptions(ro, &lro); !st.ok()) return st;
  lro.fill_cache = false;  // a resync stream should not evict hot blocks
  RecordScan out;
  if (max_records == 0) {
    out.resume_key = std::string(start);
    return out;
  }
  ReadTrail trail;
  std::unique_ptr<leveldb::Iterator> it(ldb_->NewIterator(lro));
  size_t bytes = 0;
  // Stops at a damaged block (LevelDB's iterator would step over it).
  for (it->Seek(DataKey(start)); it->Valid() && it->status().ok(); it->Next()) {
    leveldb::Slice k = it->key();
    if (k.size() == 0 || k[0] != kDataPrefix) break;
    std::string_view key(k.data() + 1, k.size() - 1);
    if (out.records.size() >= max_records || bytes >= max_bytes) {
      out.resume_key = std::string(key);
      break;
    }
    absl::StatusOr<RecordView> r =
        ParseRecord({it->value().data(), it->value().size()});
    if (!r.ok()) {
      return CorruptionError(absl::StrCat("record of a key of ", key.size(),
                                          " bytes: ", r.status().message()));
    }
    out.records.push_back(
        {std::string(key), Record{r->kind, r->version, std::string(r->value)}});
    bytes += k.size() + it->value().size();
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "scanning records");
  }
  return out;
}

absl::StatusOr<std::string> Db::GetMetadata(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metadata name of ", name.size(), " bytes: expected 1..255"));
  }
  std::string value;
  leveldb::Status s =
      ldb_->Get(InternalReadOptions(), ExternalMetaKey(name), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(
        absl::StrCat("metadata '", AV(name), "' not found"));
  }
  if (!s.ok()) return FromLevelDB(s, "reading metadata");
  return value;
}

}  // namespace cairn
