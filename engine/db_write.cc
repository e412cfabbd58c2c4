// Db: the write path (see db.h) — argument checks, the leader/follower
// write queue with its local and replicated commit modes, and the cache
// write-through.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "engine/cache/cache_tier.h"
#include "engine/db.h"
#include "engine/db_commit_request.h"
#include "engine/op_log_tail.h"
#include "engine/status.h"
#include "engine/strings.h"
#include "leveldb/db.h"
#include "leveldb/write_batch.h"

namespace cairn {
namespace {

// Bounds one write group so a burst of writers does not build a huge batch,
// as LevelDB does (1 MiB).
constexpr size_t kMaxGroupBytes = 1 << 20;
constexpr size_t kMaxMetadataName = 255;

absl::Status CheckMetadataName(std::string_view name) {
  if (name.empty() || name.size() > kMaxMetadataName) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata name of ", name.size(), " bytes: expected 1..",
                     kMaxMetadataName));
  }
  return absl::OkStatus();
}

}  // namespace

struct Db::Writer {
  CommitRequest* request;
  bool sync;
  bool done = false;
  absl::Status status;
  CondVar cv;
};

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
                     std::string_view value, CommitInfo* info) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  if (absl::Status s = CheckValue(key, value); !s.ok()) return s;
  OpView op{OpKind::kPut, key, value, {}};
  Version version;
  CommitRequest req;
  req.ops = &op;
  req.n = 1;
  req.versions = &version;
  absl::Status s = Commit(wo, &req);
  if (s.ok()) {
    UpdateCache(&op, 1, &version, nullptr);
    stats_.Add(Counter::kPuts);
    stats_.Add(Counter::kBytesWritten, key.size() + value.size());
    if (info != nullptr) *info = req.info;
  }
  return s;
}

absl::Status Db::Delete(const WriteOptions& wo, std::string_view key,
                        CommitInfo* info) {
  if (absl::Status s = CheckKey(key); !s.ok()) return s;
  OpView op{OpKind::kDelete, key, {}, {}};
  Version version;
  CommitRequest req;
  req.ops = &op;
  req.n = 1;
  req.versions = &version;
  absl::Status s = Commit(wo, &req);
  if (s.ok()) {
    UpdateCache(&op, 1, &version, nullptr);
    stats_.Add(Counter::kDeletes);
    if (info != nullptr) *info = req.info;
  }
  return s;
}

absl::Status Db::Write(const WriteOptions& wo, const WriteBatch& batch,
                       CommitInfo* info) {
  if (batch.ByteSize() > options_.max_batch_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch of ", batch.ByteSize(), " bytes exceeds max_batch_bytes (",
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
  for (const WriteBatch::Op& op : ops) {
    views.push_back({op.kind, op.key, op.value, {}});
  }
  std::vector<Version> versions(views.size());
  CommitRequest req;
  req.ops = views.data();
  req.n = views.size();
  req.versions = versions.data();
  absl::Status s = Commit(wo, &req);
  if (s.ok()) {
    UpdateCache(views.data(), views.size(), versions.data(), nullptr);
    stats_.Add(Counter::kBatches);
    stats_.Add(Counter::kBatchOps, ops.size());
    stats_.Add(Counter::kBytesWritten, batch.ByteSize());
    if (info != nullptr) *info = req.info;
  }
  return s;
}

absl::StatusOr<ApplyResult> Db::Apply(
    const WriteOptions& wo, uint32_t source, absl::Span<const ReceivedOp> ops,
    absl::Span<const MetadataUpdate> metadata) {
  if (source == 0) {
    return absl::InvalidArgumentError("apply: source node id is 0");
  }
  std::vector<OpView> views;
  views.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const ReceivedOp& op = ops[i];
    absl::Status s = CheckKey(op.key);
    if (s.ok() && op.kind == OpKind::kPut) s = CheckValue(op.key, op.value);
    if (s.ok() && op.kind == OpKind::kDelete && !op.value.empty()) {
      s = absl::InvalidArgumentError("a delete carries a value");
    }
    if (s.ok() && (op.version.hlc == 0 || op.version.node == 0)) {
      s = absl::InvalidArgumentError(
          absl::StrCat("version ", op.version.ToString(), " is not valid"));
    }
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "apply from node ", source, ": operation ", i, ": ", s.message()));
    }
    views.push_back({op.kind, op.key, op.value, op.version});
  }
  for (const MetadataUpdate& m : metadata) {
    if (absl::Status s = CheckMetadataName(m.name); !s.ok()) return s;
  }
  ApplyResult result;
  if (views.empty() && metadata.empty()) return result;
  std::unique_ptr<bool[]> applied(new bool[views.size() + 1]());
  std::vector<Version> versions(views.size());
  for (size_t i = 0; i < views.size(); ++i) versions[i] = views[i].version;
  CommitRequest req;
  req.replicated = true;
  req.source = source;
  req.ops = views.data();
  req.n = views.size();
  req.versions = versions.data();
  req.applied = applied.get();
  req.metadata = metadata;
  if (absl::Status s = Commit(wo, &req); !s.ok()) return s;
  UpdateCache(views.data(), views.size(), versions.data(), applied.get());
  for (size_t i = 0; i < views.size(); ++i) {
    if (applied[i]) {
      ++result.applied;
    } else {
      ++result.skipped;
    }
  }
  result.commit = req.info;
  return result;
}

absl::Status Db::PutMetadata(const WriteOptions& wo, std::string_view name,
                             std::string_view value) {
  if (absl::Status s = CheckMetadataName(name); !s.ok()) return s;
  MetadataUpdate m{name, value};
  CommitRequest req;
  req.metadata = absl::MakeConstSpan(&m, 1);
  return Commit(wo, &req);
}

void Db::UpdateCache(const OpView* ops, size_t n, const Version* versions,
                     const bool* applied) {
  if (!cache_) return;
  cache::CacheTier::Access cache(cache_.get());
  // A batch overlaps its memory accesses (each key's buckets are a miss in a
  // large instance): the bucket lines of the key kAhead on are requested,
  // and the items of the key kAhead / 2 on, while this one is written.
  constexpr size_t kAhead = 16;
  uint64_t hashes[kAhead];  // of ops i .. i + kAhead - 1, at [op % kAhead]
  const size_t primed = n > 1 ? std::min(n, kAhead) : 0;
  for (size_t i = 0; i < primed; ++i) {
    hashes[i] = cache::KeyHash(ops[i].key);
    cache.PrefetchBuckets(hashes[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    const uint64_t h =
        primed > 0 ? hashes[i % kAhead] : cache::KeyHash(ops[i].key);
    if (primed > 0) {
      if (i + kAhead < n) {
        hashes[i % kAhead] = cache::KeyHash(ops[i + kAhead].key);
        cache.PrefetchBuckets(hashes[i % kAhead]);
      }
      if (i + kAhead / 2 < n) {
        cache.PrefetchItems(hashes[(i + kAhead / 2) % kAhead]);
      }
    }
    if (applied != nullptr && !applied[i]) continue;
    if (ops[i].kind == OpKind::kPut && !cache_invalidates_) {
      cache.Update(h, ops[i].key, ops[i].value, versions[i]);
    } else {
      cache.Invalidate(h, ops[i].key, versions[i]);
    }
  }
}

absl::Status Db::BuildGroup(Writer* const* group, size_t n, uint64_t* sequence,
                            leveldb::WriteBatch* lb, uint64_t* tombstones) {
  *tombstones = 0;
  // Reused per thread: a put then allocates nothing of its own here.
  thread_local std::string key_buf, value_buf, oplog_buf, stored;
  // Versions this group writes, for the guard of replicated ops and purges
  // behind local ones on the same key (built only when the group has any).
  absl::flat_hash_map<std::string_view, Version> pending;
  bool any_guarded = false;
  for (size_t g = 0; g < n; ++g) {
    any_guarded |= group[g]->request->replicated || group[g]->request->purge;
  }
  // The record LevelDB holds for `key` (the group's earlier writes are not
  // in it yet): *found false if none. Leaves the data key in key_buf.
  auto read_stored = [&](std::string_view key, bool* found,
                         RecordView* rec) -> absl::Status {
    key_buf.clear();
    AppendDataKey(&key_buf, key);
    leveldb::Status s = ldb_->Get(leveldb::ReadOptions(), key_buf, &stored);
    *found = s.ok();
    if (s.IsNotFound()) return absl::OkStatus();
    if (!s.ok()) {
      return FromLevelDB(s, "reading a record for the version guard");
    }
    absl::StatusOr<RecordView> parsed = ParseRecord(stored);
    if (!parsed.ok()) {
      return CorruptionError(absl::StrCat(
          "stored record of a key of ", key.size(),
          " bytes, read by the version guard: ", parsed.status().message()));
    }
    *rec = *parsed;
    return absl::OkStatus();
  };
  uint64_t seq = *sequence;
  uint64_t guard_reads = 0, guard_skips = 0;
  // The highest version in the group's newest op-log batch (see below).
  uint64_t newest_batch_hlc = 0;
  bool logged = false;
  for (size_t g = 0; g < n; ++g) {
    CommitRequest* r = group[g]->request;
    uint32_t applied = 0;
    if (r->purge) {
      // Deletes a tombstone only if it is still the one the purge found: a
      // write earlier in this group, or committed since, keeps the key.
      for (size_t i = 0; i < r->n; ++i) {
        const OpView& op = r->ops[i];
        r->applied[i] = false;
        if (pending.contains(op.key)) continue;
        bool found = false;
        RecordView rec{};
        if (absl::Status s = read_stored(op.key, &found, &rec); !s.ok()) {
          return s;
        }
        if (found && rec.kind == OpKind::kDelete &&
            rec.version == r->versions[i]) {
          lb->Delete(key_buf);
          r->applied[i] = true;
        }
      }
      continue;  // no op-log entry, no sequence, no metadata
    }
    if (r->replicated) {
      for (size_t i = 0; i < r->n; ++i) {
        const OpView& op = r->ops[i];
        // Every version stored here, or pending in this group, came through
        // the clock (Now or Observe, and Recover at open), so an operation
        // above its high-water mark is newer than whatever the key holds:
        // the common case of a peer streaming its own writes needs no read.
        Version current;
        if (op.version.hlc > clock_.Last()) {
          ++guard_skips;
        } else if (auto it = pending.find(op.key); it != pending.end()) {
          current = it->second;
        } else {
          bool found = false;
          RecordView rec{};
          if (absl::Status s = read_stored(op.key, &found, &rec); !s.ok()) {
            return s;
          }
          ++guard_reads;
          if (found) current = rec.version;
        }
        r->applied[i] = op.version > current;
        if (r->applied[i]) {
          ++applied;
          clock_.Observe(op.version.hlc);
          pending[op.key] = op.version;
        }
      }
    } else {
      for (size_t i = 0; i < r->n; ++i) {
        r->versions[i] = Version{clock_.Now(), node_id_};
        if (any_guarded) pending[r->ops[i].key] = r->versions[i];
      }
      applied = static_cast<uint32_t>(r->n);
    }
    if (applied > 0) {
      // One op-log value per atomic batch, keyed by its first sequence.
      const uint64_t first = seq + 1;
      oplog_buf.clear();
      OpBatchWriter oplog(&oplog_buf, applied, r->source);
      newest_batch_hlc = 0;
      logged = true;
      for (size_t i = 0; i < r->n; ++i) {
        if (r->replicated && !r->applied[i]) continue;
        const OpView& op = r->ops[i];
        newest_batch_hlc = std::max(newest_batch_hlc, r->versions[i].hlc);
        ++seq;
        key_buf.clear();
        AppendDataKey(&key_buf, op.key);
        value_buf.clear();
        AppendRecord(&value_buf, op.kind, r->versions[i], op.value);
        if (op.kind == OpKind::kDelete) ++*tombstones;
        lb->Put(key_buf, value_buf);
        oplog.Add(op.kind, r->versions[i], op.key);
      }
      lb->Put(OpLogKey(first), oplog_buf);
      r->info = CommitInfo{first, seq};
    }
    for (const MetadataUpdate& m : r->metadata) {
      lb->Put(ExternalMetaKey(m.name),
              leveldb::Slice(m.value.data(), m.value.size()));
    }
  }
  // At open, OpLog::Recover lifts the clock to the newest batch's versions
  // and to the marks. When this group's newest batch holds only versions
  // below a stored one (received from a peer whose clock runs behind, after
  // one from a peer whose clock runs ahead), the mark keeps the high water,
  // or a restarted node could hand out, or let the guard's shortcut accept,
  // a version below one it stores.
  if (logged && newest_batch_hlc < clock_.Last()) {
    value_buf.clear();
    PutFixed64(&value_buf, clock_.Last());
    lb->Put(MetaKey(OpLog::kClockMeta), value_buf);
  }
  if (guard_reads > 0) stats_.Add(Counter::kApplyGuardReads, guard_reads);
  if (guard_skips > 0) stats_.Add(Counter::kApplyGuardSkips, guard_skips);
  if (oplog_buf.capacity() > (1u << 20)) std::string().swap(oplog_buf);
  if (stored.capacity() > (1u << 20)) std::string().swap(stored);
  *sequence = seq;
  return absl::OkStatus();
}

void Db::AppendToTail(OpLogTail* tail, Writer* const* group, size_t n) {
  thread_local std::vector<OpLogTail::Op> ops;
  for (size_t g = 0; g < n; ++g) {
    const CommitRequest* r = group[g]->request;
    if (r->purge || r->info.first_sequence == 0) continue;  // no log entry
    ops.clear();
    for (size_t i = 0; i < r->n; ++i) {
      if (r->replicated && !r->applied[i]) continue;
      ops.push_back(
          {r->ops[i].kind, r->versions[i], r->ops[i].key, r->ops[i].value});
    }
    tail->Append(r->info.first_sequence, r->source, ops);
  }
}

void Db::EnableOpLogTail(size_t capacity_bytes) {
  MutexLock l(&write_mu_);
  if (tail_.load() != nullptr || capacity_bytes == 0) return;
  owned_tail_ = std::make_unique<OpLogTail>(capacity_bytes);
  tail_.store(owned_tail_.get(), std::memory_order_release);
}

OpLogTail::Stats Db::OpLogTailStats() {
  OpLogTail* tail = tail_.load(std::memory_order_acquire);
  return tail == nullptr ? OpLogTail::Stats() : tail->GetStats();
}

bool Db::ReadOpLogTail(uint64_t from, size_t max_entries,
                       std::vector<OpLogBatch>* out) {
  OpLogTail* tail = tail_.load(std::memory_order_acquire);
  return tail != nullptr &&
         tail->Read(from, LastSequence(), max_entries, out);
}

absl::Status Db::Commit(const WriteOptions& wo, CommitRequest* request) {
  Writer self{request, wo.sync};
  MutexLock l(&write_mu_);
  writers_.push_back(&self);
  while (!self.done && writers_.front() != &self) self.cv.Wait(&write_mu_);
  if (self.done) return self.status;
  if (!write_error_.ok()) {
    // LevelDB's log writer loses its place in the log when a write fails
    // (it advances its block offset all the same), so a later record would
    // land where a reader cannot find it and the next open would find the
    // log damaged. Like LevelDB after a failed sync, refuse writes until
    // the database is reopened.
    writers_.pop_front();
    if (!writers_.empty()) writers_.front()->cv.Signal();
    return write_error_;
  }
  // A snapshot waiting for a gap between commits goes first.
  while (snapshot_waiters_ > 0) between_commits_.Wait(&write_mu_);

  // Leader: take writers from the front while they fit. A non-sync leader
  // does not take sync writers, so they never return before their sync.
  absl::InlinedVector<Writer*, 16> group;
  size_t bytes = 0;
  for (Writer* w : writers_) {
    if (!group.empty() && ((w->sync && !self.sync) || bytes > kMaxGroupBytes)) {
      break;
    }
    group.push_back(w);
    for (size_t i = 0; i < w->request->n; ++i) {
      bytes += w->request->ops[i].key.size() + w->request->ops[i].value.size();
    }
  }
  // Other writers may queue meanwhile; only the front writer leads, and we
  // stay at the front until the group is popped, so writes never overlap.
  // Versions, guards and sequences are decided here, by the one leader.
  writing_ = true;
  write_mu_.Unlock();
  thread_local leveldb::WriteBatch lb;
  lb.Clear();
  uint64_t seq = oplog_->LastSequence();
  uint64_t tombstones = 0;
  absl::Status status =
      BuildGroup(group.data(), group.size(), &seq, &lb, &tombstones);
  if (status.ok()) {
    leveldb::WriteOptions lwo;
    lwo.sync = self.sync;
    leveldb::Status ls = ldb_->Write(lwo, &lb);
    if (!ls.ok()) {
      stats_.Add(Counter::kWriteErrors);
      status = FromLevelDB(ls, "write failed");
    } else {
      if (tombstones > 0) {
        // After the write: a purge walk that begins after this count sees
        // the tombstones (PurgeTombstones).
        tombstones_written_.fetch_add(tombstones, std::memory_order_release);
      }
      // Before Publish: a sender woken by it finds the batches in the tail.
      if (OpLogTail* tail = tail_.load(std::memory_order_acquire)) {
        AppendToTail(tail, group.data(), group.size());
      }
    }
  }
  // A huge batch should not pin its memory in this thread forever.
  if (lb.ApproximateSize() > (1u << 20)) lb = leveldb::WriteBatch();
  write_mu_.Lock();
  if (status.ok()) {
    oplog_->Publish(seq);
  } else if (write_error_.ok()) {
    write_error_ = absl::Status(status.code(),
                                absl::StrCat(status.message(),
                                             " (writes are refused until the "
                                             "database is reopened)"));
    write_failed_.store(true, std::memory_order_release);
  }
  writing_ = false;
  if (snapshot_waiters_ > 0) between_commits_.SignalAll();
  for (Writer* w : group) {
    writers_.pop_front();
    w->status = status;
    w->done = true;
    if (w != &self) w->cv.Signal();
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();  // the next leader
  return status;
}

}  // namespace cairn
