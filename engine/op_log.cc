#include "engine/op_log.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/read_trail.h"
#include "engine/sorted_reads.h"
#include "engine/status.h"
#include "leveldb/db.h"
#include "leveldb/write_batch.h"

namespace cairn {
namespace {

// Also false once the iterator met a damaged block: LevelDB's iterator steps
// over it, and the caller reports the error (naming the file) instead.
bool InOpLog(const leveldb::Iterator* it) {
  return it->Valid() && it->status().ok() && it->key().size() > 0 &&
         it->key()[0] == kOpLogPrefix;
}

std::string_view View(const leveldb::Slice& s) { return {s.data(), s.size()}; }

// The first sequence of the batch under `it`, or Corruption naming the key.
absl::StatusOr<uint64_t> BatchFirst(const leveldb::Iterator* it) {
  return ParseOpLogKey(View(it->key()));
}

// An 8-byte metadata value of the op log; *found false when absent.
absl::Status ReadFixedMeta(leveldb::DB* db, const leveldb::ReadOptions& ro,
                           const char* name, const char* what,
                           bool* found, uint64_t* out) {
  std::string value;
  leveldb::Status s = db->Get(ro, MetaKey(name), &value);
  *found = s.ok();
  if (s.IsNotFound()) return absl::OkStatus();
  if (!s.ok()) return ReadTrail::Convert(s, absl::StrCat("reading ", what));
  if (value.size() != 8) {
    return CorruptionError(absl::StrCat("metadata ", name,
                                        " is malformed (", value.size(),
                                        " bytes, expected 8)"));
  }
  *out = DecodeFixed64(value.data());
  return absl::OkStatus();
}

}  // namespace

void OpLog::SeekBatch(leveldb::Iterator* it, uint64_t sequence) {
  // Batches are keyed by their first sequence, so the batch holding
  // `sequence` is the last key <= OpLogKey(sequence).
  const std::string target = OpLogKey(sequence);
  it->Seek(target);
  if (it->Valid() && it->key().compare(target) == 0) return;
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  // No batch starts at or before `sequence`: the first one after it.
  if (!InOpLog(it)) it->Seek(target);
}

absl::Status OpLog::Recover(HybridClock* clock) {
  ReadTrail trail;
  leveldb::ReadOptions ro = read_options_;
  bool found = false;
  uint64_t trimmed = 0;
  if (absl::Status s = ReadFixedMeta(db_, ro, kTrimmedUptoMeta,
                                     "the op-log trim point", &found, &trimmed);
      !s.ok()) {
    return s;
  }
  // The clock's memory of the versions it handed out or received that the
  // newest batch may not hold: the newest version trimmed away (with the log
  // empty, the only one), and the high-water mark a batch of older versions
  // was written with.
  for (const char* name : {kTrimmedHlcMeta, kClockMeta}) {
    uint64_t hlc = 0;
    if (absl::Status s = ReadFixedMeta(db_, ro, name, "the op-log clock mark",
                                       &found, &hlc);
        !s.ok()) {
      return s;
    }
    if (found) clock->Observe(hlc);
  }
  trimmed_upto_.store(trimmed, std::memory_order_release);

  uint64_t last = trimmed;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  SeekBatch(it.get(), UINT64_MAX);
  if (InOpLog(it.get())) {
    absl::StatusOr<uint64_t> first = BatchFirst(it.get());
    if (!first.ok()) return first.status();
    std::vector<OpEntry> ops;
    absl::Status st =
        ParseOpBatch(*first, View(it->value()), 0, SIZE_MAX, &ops);
    if (!st.ok()) return st;
    for (const OpEntry& e : ops) {
      last = std::max(last, e.sequence);
      clock->Observe(e.version.hlc);
    }
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "reading op log");
  }
  last_sequence_.store(last, std::memory_order_release);
  return absl::OkStatus();
}

void OpLog::Publish(uint64_t sequence) {
  // Sequentially consistent, with the load of wake_at_ below and the
  // waiter's store of it and load of the sequence in WaitFor: a store then
  // a load of another variable on each side, so one of the two sees the
  // other's store and no wake-up is lost (with release/acquire the load
  // could pass the store, and a waiter sleep through its sequence).
  last_sequence_.store(sequence, std::memory_order_seq_cst);
  // Retention costs the write path this load until the log is due a trim.
  if (sequence >= trim_due_at_.load(std::memory_order_relaxed)) RequestTrim();
  // The write path pays for a wake-up only when it brings a waiter to its
  // sequence.
  if (sequence >= wake_at_.load(std::memory_order_seq_cst)) {
    MutexLock l(&wait_mu_);
    grown_.SignalAll();
  }
}

bool OpLog::WaitFor(uint64_t sequence, absl::Time deadline, uint64_t* kicks) {
  if (LastSequence() >= sequence) return true;
  MutexLock l(&wait_mu_);
  wait_targets_.push_back(sequence);
  StoreWakeAtLocked();
  const uint64_t seen = kicks == nullptr ? kicks_ : *kicks;
  while (LastSequence() < sequence && !closed_ && seen == kicks_) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    grown_.WaitFor(&wait_mu_, absl::ToChronoNanoseconds(
                                  std::min(left, absl::Seconds(3600))));
  }
  if (kicks != nullptr) *kicks = kicks_;
  wait_targets_.erase(
      std::find(wait_targets_.begin(), wait_targets_.end(), sequence));
  StoreWakeAtLocked();
  return LastSequence() >= sequence;
}

void OpLog::StoreWakeAtLocked() {
  // Sequentially consistent: see Publish.
  wake_at_.store(wait_targets_.empty()
                     ? UINT64_MAX
                     : *std::min_element(wait_targets_.begin(),
                                         wait_targets_.end()),
                 std::memory_order_seq_cst);
}

void OpLog::Kick() {
  MutexLock l(&wait_mu_);
  ++kicks_;
  grown_.SignalAll();
}

void OpLog::Close() {
  {
    MutexLock l(&wait_mu_);
    closed_ = true;
    grown_.SignalAll();
    trimmed_.SignalAll();
  }
  MutexLock l(&trimmer_mu_);
  trimmer_closed_ = true;
  trim_due_.SignalAll();
}

absl::StatusOr<std::vector<OpEntry>> OpLog::Read(uint64_t from,
                                                 size_t max_entries) {
  const uint64_t first = FirstSequence();
  if (from < first) {
    return absl::OutOfRangeError(absl::StrCat("op log starts at sequence ",
                                              first, "; sequence ", from,
                                              " was trimmed"));
  }
  std::vector<OpEntry> out;
  const uint64_t last = LastSequence();
  if (from > last || max_entries == 0) return out;
  ReadTrail trail;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options_));
  for (SeekBatch(it.get(), from); InOpLog(it.get()) && out.size() < max_entries;
       it->Next()) {
    absl::StatusOr<uint64_t> batch_first = BatchFirst(it.get());
    if (!batch_first.ok()) return batch_first.status();
    if (*batch_first > last) break;  // committed after we started: next read
    absl::Status st = ParseOpBatch(*batch_first, View(it->value()), from,
                                   max_entries - out.size(), &out);
    if (!st.ok()) return st;
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "reading op log");
  }
  return out;
}

absl::StatusOr<std::vector<OpLogBatch>> OpLog::ReadBatches(
    const leveldb::Snapshot* snapshot, uint64_t upto, uint64_t from,
    size_t max_entries, uint32_t skip_node) {
  const uint64_t first = FirstSequence();
  if (from < first) {
    return absl::OutOfRangeError(absl::StrCat("op log starts at sequence ",
                                              first, "; sequence ", from,
                                              " was trimmed"));
  }
  std::vector<OpLogBatch> out;
  if (from > upto || max_entries == 0) return out;
  ReadTrail trail;
  leveldb::ReadOptions ro = read_options_;
  ro.snapshot = snapshot;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  size_t entries = 0;
  std::vector<OpEntry> ops;
  // The operations whose values are read: (batch, operation) in `out`.
  std::vector<std::pair<size_t, size_t>> wanted;
  for (SeekBatch(it.get(), from); InOpLog(it.get()); it->Next()) {
    absl::StatusOr<uint64_t> batch_first = BatchFirst(it.get());
    if (!batch_first.ok()) return batch_first.status();
    if (*batch_first > upto) break;
    ops.clear();
    absl::Status st =
        ParseOpBatch(*batch_first, View(it->value()), from, SIZE_MAX, &ops);
    if (!st.ok()) return st;
    if (ops.empty()) continue;
    if (!out.empty() && entries + ops.size() > max_entries) break;
    OpLogBatch batch;
    batch.first_sequence = ops.front().sequence;
    batch.source = ops.front().source;
    batch.ops.reserve(ops.size());
    const bool from_skip_node = skip_node != 0 && batch.source == skip_node;
    for (OpEntry& e : ops) {
      ShippedOp op;
      op.sequence = e.sequence;
      op.kind = e.kind;
      op.version = e.version;
      op.key = std::move(e.key);
      if (!from_skip_node &&
          (skip_node == 0 || op.version.node != skip_node)) {
        wanted.push_back({out.size(), batch.ops.size()});
      }
      batch.ops.push_back(std::move(op));
    }
    entries += batch.ops.size();
    out.push_back(std::move(batch));
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "reading op log");
  }
  // The values, as of the snapshot: all at once, in key order.
  std::vector<std::string_view> keys;
  keys.reserve(wanted.size());
  for (const auto& [b, i] : wanted) keys.push_back(out[b].ops[i].key);
  std::vector<std::optional<std::string>> records;
  if (leveldb::Status s = ReadRecordsSorted(db_, ro, keys, &records);
      !s.ok()) {
    return ReadTrail::Convert(s, "reading a record of the op log");
  }
  for (size_t k = 0; k < wanted.size(); ++k) {
    ShippedOp& op = out[wanted[k].first].ops[wanted[k].second];
    if (!records[k].has_value()) {
      op.superseded = true;  // purged since: a later state carries the key
      continue;
    }
    absl::StatusOr<RecordView> r = ParseRecord(*records[k]);
    if (!r.ok()) {
      return CorruptionError(absl::StrCat("record of op-log sequence ",
                                          op.sequence, ": ",
                                          r.status().message()));
    }
    if (r->version == op.version) {
      op.value = std::string(r->value);
    } else {
      op.superseded = true;
    }
  }
  return out;
}

absl::Status OpLog::Trim(uint64_t upto) {
  MutexLock l(&trim_mu_);
  absl::Status s = TrimLocked(upto);
  ScheduleNextTrim(/*blocked=*/!s.ok());
  return s;
}

absl::Status OpLog::TrimLocked(uint64_t upto) {
  upto = std::min(upto, LastSequence());
  const uint64_t before = trimmed_upto_.load(std::memory_order_acquire);
  if (upto <= before) return absl::OkStatus();
  ReadTrail trail;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(read_options_));
  uint64_t last_hlc = 0;
  constexpr size_t kChunk = 10000;  // bounded LevelDB batches
  leveldb::WriteBatch lb;
  size_t n = 0;
  std::vector<OpEntry> ops;
  uint64_t oldest = oldest_batch_;
  for (it->Seek(OpLogKey(oldest_batch_)); InOpLog(it.get()); it->Next()) {
    absl::StatusOr<uint64_t> first = BatchFirst(it.get());
    if (!first.ok()) return first.status();
    oldest = *first;
    ops.clear();
    // The whole batch is parsed: a damaged entry is reported, never skipped
    // (skipping it could drop the clock's high-water mark with it).
    absl::Status st =
        ParseOpBatch(*first, View(it->value()), 0, SIZE_MAX, &ops);
    if (!st.ok()) return st;
    if (ops.back().sequence > upto) break;
    oldest = ops.back().sequence + 1;
    for (const OpEntry& e : ops) last_hlc = std::max(last_hlc, e.version.hlc);
    lb.Delete(it->key());
    if (++n == kChunk) {
      // Each chunk records the trim point it reached, so a crash between
      // chunks never leaves the op log starting past the recorded point
      // (which the open's op-log check would read as lost writes). The
      // clock mark is written with the last chunk.
      std::string v;
      PutFixed64(&v, ops.back().sequence);
      lb.Put(MetaKey(kTrimmedUptoMeta), v);
      leveldb::Status s = db_->Write(leveldb::WriteOptions(), &lb);
      if (!s.ok()) return FromLevelDB(s, "trimming op log");
      lb.Clear();
      n = 0;
    }
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "trimming op log");
  }
  std::string v;
  PutFixed64(&v, upto);
  lb.Put(MetaKey(kTrimmedUptoMeta), v);
  if (last_hlc > 0) {
    // Only ever raised: an earlier trim may have removed newer versions.
    std::string old;
    leveldb::Status s = db_->Get(read_options_, MetaKey(kTrimmedHlcMeta), &old);
    if (s.ok() && old.size() == 8) {
      last_hlc = std::max(last_hlc, DecodeFixed64(old.data()));
    }
    v.clear();
    PutFixed64(&v, last_hlc);
    lb.Put(MetaKey(kTrimmedHlcMeta), v);
  }
  leveldb::Status s = db_->Write(leveldb::WriteOptions(), &lb);
  if (!s.ok()) return FromLevelDB(s, "trimming op log");
  oldest_batch_ = oldest;
  trimmed_upto_.store(upto, std::memory_order_release);
  trims_.fetch_add(1, std::memory_order_relaxed);
  trimmed_ops_.fetch_add(upto - before, std::memory_order_relaxed);
  MutexLock w(&wait_mu_);
  trimmed_.SignalAll();
  return absl::OkStatus();
}

}  // namespace cairn
