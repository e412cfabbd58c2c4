// Db::CheckRecoveredOpLog: after LevelDB recovers, the newest part of the op
// log must have no hole.
//
// Op-log sequences are contiguous by construction (assigned under the write
// lock, committed in order; trims remove only the front). LevelDB's
// recovery reads a truncated manifest or a truncated older write-ahead log
// as a torn tail and opens without an error, silently dropping a memtable's
// worth of writes while keeping the newer ones. Those drops land in the
// newest few memtables of data, so a hole there shows in the op log's tail:
// it is scanned back over three write buffers' worth of op-log bytes (the
// live log, an immutable memtable's log, and one lost table), which bounds
// the cost at open.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/db.h"
#include "engine/format.h"
#include "engine/read_trail.h"
#include "engine/status.h"
#include "leveldb/db.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"

namespace cairn {

std::vector<std::string> Db::RecoveryFiles(leveldb::Env* env,
                                           const std::string& path) {
  std::vector<std::string> children, files;
  (void)env->GetChildren(path, &children);
  for (const std::string& name : children) {
    if (absl::EndsWith(name, ".log") || absl::StartsWith(name, "MANIFEST-")) {
      files.push_back(name);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::Status Db::CheckRecoveredOpLog(
    const std::vector<std::string>& recovered_from) {
  auto lost = [&](uint64_t last, uint64_t next) {
    return CorruptionError(absl::StrCat(
        "writes were lost: the op log jumps from sequence ", last, " to ", next,
        "; a damaged manifest or write-ahead log was read as a torn tail (one "
        "of ",
        absl::StrJoin(recovered_from, ", "),
        "). Open with paranoid_checks=false to accept the loss"));
  };
  const uint64_t budget = 3 * options_.write_buffer_size;
  ReadTrail trail;
  std::unique_ptr<leveldb::Iterator> it(
      ldb_->NewIterator(InternalReadOptions()));
  it->Seek(std::string(1, kOpLogPrefix + 1));
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  uint64_t scanned = 0;
  uint64_t expect_last = 0;  // the last sequence the next older batch must end
  bool have_newer = false;
  for (; it->Valid() && scanned < budget; it->Prev()) {
    if (!it->status().ok()) break;  // reported below, naming its file
    leveldb::Slice k = it->key();
    if (k.size() == 0 || k[0] != kOpLogPrefix) break;
    scanned += k.size() + it->value().size();
    absl::StatusOr<uint64_t> first = ParseOpLogKey({k.data(), k.size()});
    if (!first.ok()) return first.status();
    // The whole batch must parse (max 0: validated, nothing copied), so a
    // damaged batch is named as such rather than read as a gap.
    std::vector<OpEntry> none;
    absl::Status parsed = ParseOpBatch(
        *first, {it->value().data(), it->value().size()}, 0, 0, &none);
    if (!parsed.ok()) return parsed;
    absl::StatusOr<uint32_t> count =
        OpBatchCount({it->value().data(), it->value().size()});
    if (!count.ok()) return count.status();
    const uint64_t last = *first + *count - 1;
    if (have_newer && last != expect_last) return lost(last, expect_last + 1);
    have_newer = true;
    expect_last = *first - 1;
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "checking the op log");
  }
  // The oldest batch must hold the first sequence not trimmed: losing the
  // older tables (a manifest cut short) leaves a hole at the front.
  const uint64_t first_kept = OpLogFirstSequence();
  it->Seek(std::string(1, kOpLogPrefix));
  if (it->Valid() && it->key().size() > 0 && it->key()[0] == kOpLogPrefix) {
    absl::StatusOr<uint64_t> first =
        ParseOpLogKey({it->key().data(), it->key().size()});
    if (!first.ok()) return first.status();
    if (*first > first_kept) return lost(first_kept - 1, *first);
  } else if (it->status().ok() && LastSequence() >= first_kept) {
    return lost(first_kept - 1, LastSequence() + 1);
  }
  if (!it->status().ok()) {
    return ReadTrail::Convert(it->status(), "checking the op log");
  }
  return absl::OkStatus();
}

}  // namespace cairn
