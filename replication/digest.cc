#include "replication/digest.h"

#include <cstring>
#include <functional>
#include <string>
#include <utility>

#include "xxhash.h"

namespace cairn::replication {
namespace {

constexpr size_t kScanRecords = 4096;
constexpr size_t kScanBytes = 4 << 20;

// The record's identity as one hash: the key hashed with its version and
// kind folded into the seed.
uint64_t RecordHash(const KeyedRecord& r) {
  uint64_t seed = XXH3_64bits(&r.record.version.hlc, sizeof(uint64_t)) ^
                  (static_cast<uint64_t>(r.record.version.node) << 8) ^
                  static_cast<uint64_t>(r.record.kind);
  return XXH3_64bits_withSeed(r.key.data(), r.key.size(), seed);
}

bool BeforeHorizon(const KeyedRecord& r, uint64_t horizon_hlc) {
  return horizon_hlc == 0 || r.record.version.hlc < horizon_hlc;
}

// Scans all records at a fresh snapshot, chunk by chunk.
absl::Status ScanAll(
    Db* db, uint64_t* sequence,
    const std::function<absl::Status(std::vector<KeyedRecord>&)>& visit) {
  absl::StatusOr<std::shared_ptr<Snapshot>> snap = db->GetSnapshot();
  if (!snap.ok()) return snap.status();
  if (sequence != nullptr) *sequence = (*snap)->sequence();
  std::string start;
  for (;;) {
    absl::StatusOr<RecordScan> scan =
        db->ScanRecords(**snap, start, kScanRecords, kScanBytes);
    if (!scan.ok()) return scan.status();
    if (absl::Status s = visit(scan->records); !s.ok()) return s;
    if (!scan->resume_key.has_value()) return absl::OkStatus();
    start = std::move(*scan->resume_key);
  }
}

}  // namespace

uint32_t BucketOf(std::string_view key, uint32_t buckets) {
  return static_cast<uint32_t>(XXH3_64bits(key.data(), key.size()) %
                               (buckets == 0 ? 1 : buckets));
}

absl::StatusOr<Digest> ComputeDigest(Db* db, uint32_t buckets,
                                     uint64_t horizon_hlc) {
  Digest d;
  d.hashes.assign(buckets, 0);
  absl::Status s =
      ScanAll(db, &d.sequence, [&](std::vector<KeyedRecord>& records) {
        for (const KeyedRecord& r : records) {
          if (!BeforeHorizon(r, horizon_hlc)) continue;
          d.hashes[BucketOf(r.key, buckets)] += RecordHash(r);
        }
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return d;
}

std::vector<uint32_t> DifferingBuckets(const std::vector<uint64_t>& a,
                                       const std::vector<uint64_t>& b) {
  std::vector<uint32_t> out;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.size() != b.size() || a[i] != b[i]) {
      out.push_back(static_cast<uint32_t>(i));
    }
  }
  return out;
}

absl::Status ForEachRecordInBuckets(
    Db* db, uint32_t buckets, const absl::flat_hash_set<uint32_t>& wanted,
    uint64_t horizon_hlc, size_t chunk_bytes,
    const std::function<absl::Status(std::vector<WireOp>)>& sink) {
  std::vector<WireOp> chunk;
  size_t bytes = 0;
  absl::Status s = ScanAll(db, nullptr, [&](std::vector<KeyedRecord>& records) {
    for (KeyedRecord& r : records) {
      if (!BeforeHorizon(r, horizon_hlc) ||
          !wanted.contains(BucketOf(r.key, buckets))) {
        continue;
      }
      WireOp op;
      op.kind = r.record.kind;
      op.version = r.record.version;
      bytes += r.key.size() + r.record.value.size() + 16;
      op.key = std::move(r.key);
      op.value = std::move(r.record.value);
      chunk.push_back(std::move(op));
      if (bytes >= chunk_bytes) {
        if (absl::Status st = sink(std::move(chunk)); !st.ok()) return st;
        chunk.clear();
        bytes = 0;
      }
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  if (!chunk.empty()) return sink(std::move(chunk));
  return absl::OkStatus();
}

}  // namespace cairn::replication
