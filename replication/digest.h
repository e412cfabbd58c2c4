// Anti-entropy digests: one 64-bit hash per key-hash bucket over every
// record's (key, version, kind), tombstones included, at one snapshot,
// leaving out the records written at or after a horizon (a hybrid-clock
// timestamp both sides are given): those are still in flight between the
// nodes, replication delivers them, and counting them would make every
// bucket a busy writer touches differ (and its records be pushed) on every
// comparison.
// Order-independent (a sum of per-record hashes), so two nodes holding the
// same records agree whatever order they wrote them in. Two nodes whose
// bucket hashes differ hold different records in that bucket; the records
// of such buckets are pushed to the peer and applied version-guarded, so
// the newer version wins on both sides.
//
// Stateless functions; thread-safe (they read through snapshots).
#ifndef CAIRN_REPLICATION_DIGEST_H_
#define CAIRN_REPLICATION_DIGEST_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "engine/db.h"
#include "replication/wire.h"

namespace cairn::replication {

struct Digest {
  uint64_t sequence = 0;  // the snapshot it was computed at
  std::vector<uint64_t> hashes;
};

uint32_t BucketOf(std::string_view key, uint32_t buckets);

// Scans every record (in chunks) at a fresh snapshot; records whose version
// is at or above `horizon_hlc` are left out (0: none is).
[[nodiscard]] absl::StatusOr<Digest> ComputeDigest(Db* db, uint32_t buckets,
                                                   uint64_t horizon_hlc = 0);

// The buckets whose hashes differ (all of them if the sizes differ).
std::vector<uint32_t> DifferingBuckets(const std::vector<uint64_t>& a,
                                       const std::vector<uint64_t>& b);

// Every record (tombstones included) in `wanted` buckets whose version is
// below `horizon_hlc` (0: every one), at a fresh snapshot, calling `sink`
// with chunks of about `chunk_bytes`.
[[nodiscard]] absl::Status ForEachRecordInBuckets(
    Db* db, uint32_t buckets, const absl::flat_hash_set<uint32_t>& wanted,
    uint64_t horizon_hlc, size_t chunk_bytes,
    const std::function<absl::Status(std::vector<WireOp>)>& sink);

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_DIGEST_H_
