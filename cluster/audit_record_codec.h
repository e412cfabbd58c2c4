// How the audit log lays its records out in its LevelDB (audit_log.h).
//
//   'R' start(8) seq(8)                 -> record (EncodeAuditRecord)
//   'I' len(1) method start(8) seq(8)   -> "" (the index by method)
//   '#' "cairn.audit.format"            -> "1" (the marker: this directory
//                                          is an audit log)
//
// start is the record's start time in microseconds since the epoch, as a
// signed integer with its sign bit flipped and stored big endian, so keys
// sort by time; seq (big endian) tells apart records of the same
// microsecond. A record and its index entry are written in one batch and
// dropped in one batch. The prefixes differ from a data database's
// ('d', 'o', 'm': engine/format.h).
//
// A record value is: version(1)=1, start_us(8, little endian, signed),
// end_us(8), shard (zigzag varint64), node (varint32), then client_id,
// client_address, method, params, outcome and message, each as a varint32
// length and its bytes. DecodeAuditRecord treats its input as untrusted (a
// damaged file): any malformed value is DataLoss, never a crash; it is
// fuzzed (tests/fuzz/audit_record_fuzzer.cc).
//
// Stateless; thread-safe.
#ifndef CAIRN_CLUSTER_AUDIT_RECORD_CODEC_H_
#define CAIRN_CLUSTER_AUDIT_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/audit_log.h"

namespace cairn::cluster {

inline constexpr char kAuditRecordPrefix = 'R';
inline constexpr char kAuditIndexPrefix = 'I';
inline constexpr char kAuditMarkerKey[] = "#cairn.audit.format";
inline constexpr char kAuditFormat[] = "1";
inline constexpr uint8_t kAuditRecordVersion = 1;
// Longer method names are refused by Append (the index stores the length
// in one byte).
inline constexpr size_t kMaxAuditMethodBytes = 255;

// Microseconds since the epoch, saturating (InfinitePast -> INT64_MIN).
int64_t AuditMicros(absl::Time t);

// The key of the record that started at `start_us` with sequence `seq`.
std::string AuditRecordKey(int64_t start_us, uint64_t seq);
// The key of its index entry (method must be <= kMaxAuditMethodBytes).
std::string AuditIndexKey(std::string_view method, int64_t start_us,
                          uint64_t seq);
// The first key of `method`'s index entries at or after `start_us`.
std::string AuditIndexPrefix(std::string_view method);

struct AuditKey {
  int64_t start_us = 0;
  uint64_t seq = 0;
};
// Parses a record key; DataLoss naming the key when malformed.
[[nodiscard]] absl::StatusOr<AuditKey> ParseAuditRecordKey(
    std::string_view key);
// Parses the (start, seq) tail of an index key of `method`.
[[nodiscard]] absl::StatusOr<AuditKey> ParseAuditIndexKey(
    std::string_view method, std::string_view key);

// Appends the encoding of `record` to *out.
void EncodeAuditRecord(const AuditRecord& record, std::string* out);
// Decodes a record value; DataLoss (mentioning what was wrong) when it is
// malformed, has trailing bytes or an unknown version.
[[nodiscard]] absl::StatusOr<AuditRecord> DecodeAuditRecord(
    std::string_view value);

// A key as printable text for messages ("R\x00..." -> hex).
std::string AuditKeyForMessage(std::string_view key);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_AUDIT_RECORD_CODEC_H_
