// Fuzzes the audit log's record decoder and key parsers (RELIABILITY B3):
// every value is either refused with DataLoss or decoded into a record whose
// encoding decodes again to the same encoding, and its JSON form is built
// without throwing.
//
// Input: a selector byte (bit 0: a record value; otherwise a record key and
// an index key of "get"), then the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/audit_log.h"
#include "cluster/audit_record_codec.h"

namespace {

using namespace cairn::cluster;  // NOLINT: a fuzzer over the whole codec

void CheckRecord(std::string_view p) {
  absl::StatusOr<AuditRecord> r = DecodeAuditRecord(p);
  if (!r.ok()) {
    if (r.status().code() != absl::StatusCode::kDataLoss) abort();
    return;
  }
  std::string once;
  EncodeAuditRecord(*r, &once);
  absl::StatusOr<AuditRecord> again = DecodeAuditRecord(once);
  if (!again.ok()) abort();
  std::string twice;
  EncodeAuditRecord(*again, &twice);
  if (twice != once) abort();
  if (AuditRecordJson(*r).empty()) abort();
}

void CheckKeys(std::string_view p) {
  absl::StatusOr<AuditKey> k = ParseAuditRecordKey(p);
  if (k.ok()) {
    if (AuditRecordKey(k->start_us, k->seq) != p) abort();
  } else if (k.status().code() != absl::StatusCode::kDataLoss) {
    abort();
  }
  absl::StatusOr<AuditKey> i = ParseAuditIndexKey("get", p);
  if (i.ok()) {
    if (AuditIndexKey("get", i->start_us, i->seq) != p) abort();
  } else if (i.status().code() != absl::StatusCode::kDataLoss) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view p(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    CheckRecord(p);
  } else {
    CheckKeys(p);
  }
  return 0;
}
