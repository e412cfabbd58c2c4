// AuditParams (audit_log.h): a request's parameters as one line for its
// audit record. Keys are cut to `key_bytes` and C-escaped (octal); values
// appear only as sizes, never their bytes (R1 without storing the data twice).
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cluster/audit_log.h"
#include "cluster/client_wire.h"
#include "engine/strings.h"

namespace cairn::cluster {
namespace {

// name="escaped prefix", plus the full size when cut:
//   key="user:17"   key="user:1"(truncated, 7 bytes)
std::string Quoted(std::string_view name, std::string_view key,
                   size_t key_bytes) {
  const bool cut = key.size() > key_bytes;
  std::string out = absl::StrCat(AV(name), "=\"",
                                 absl::CEscape(absl::string_view(
                                     key.data(), cut ? key_bytes : key.size())),
                                 "\"");
  if (cut) absl::StrAppend(&out, "(truncated, ", key.size(), " bytes)");
  return out;
}

}  // namespace

std::string AuditParams(const ClientRequest& request, size_t key_bytes) {
  std::string out;
  const BatchOp* first = request.ops.empty() ? nullptr : &request.ops.front();
  switch (request.method) {
    case Method::kGet:
    case Method::kDelete:
      if (first != nullptr) out = Quoted("key", first->key, key_bytes);
      break;
    case Method::kPut:
      if (first != nullptr) {
        out = absl::StrCat(Quoted("key", first->key, key_bytes),
                           " value_bytes=", first->value.size());
      }
      break;
    case Method::kBatch: {
      size_t puts = 0;
      size_t bytes = 0;
      for (const BatchOp& op : request.ops) {
        if (!op.is_delete) ++puts;
        bytes += op.key.size() + op.value.size();
      }
      out = absl::StrCat("ops=", request.ops.size(), " puts=", puts,
                         " deletes=", request.ops.size() - puts,
                         " bytes=", bytes);
      if (first != nullptr) {
        absl::StrAppend(&out, " ", Quoted("first_key", first->key, key_bytes));
      }
      break;
    }
    case Method::kScan:
      out = absl::StrCat(Quoted("start", request.scan_start, key_bytes), " ",
                         Quoted("end", request.scan_end, key_bytes),
                         " limit=", request.scan_limit);
      break;
    case Method::kStatus:
      break;
    case Method::kReportFailure:
      out = absl::StrCat("failed_request=", request.failed_request_id,
                         " reason_bytes=", request.failure_reason.size());
      break;
  }
  if (request.sync &&
      (request.method == Method::kPut || request.method == Method::kDelete ||
       request.method == Method::kBatch)) {
    absl::StrAppend(&out, " sync=true");
  }
  return out;
}

}  // namespace cairn::cluster
