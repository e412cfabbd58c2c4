// AuditParams: what the audit log records of a request's parameters.
//
// Keys appear quoted, at most `key_bytes` of them, bytes outside printable
// ASCII (and '"', '\') escaped as \xNN; a longer key is cut and marked with
// its full size after the closing quote: key="user:1"...(40 bytes). Values
// never appear, only their sizes (value_bytes=N): the audit log must not
// become a second copy of the data.
//
//   get, delete     key="k"
//   put             key="k" value_bytes=100
//   batch           ops=3 puts=2 deletes=1 value_bytes=300 first_key="k"
//   scan            start="a" end="b" limit=100   (end="" is the last key)
//   status          (empty)
//   report_failure  failed_request=17 reason="..." (cut like a key)
// Writes add " sync" when the request asked for durability.
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "cluster/audit_log.h"
#include "cluster/client_wire.h"

namespace cairn::cluster {
namespace {

// `name`="escaped first key_bytes bytes", plus the marker when cut.
void AppendQuoted(std::string* out, std::string_view name,
                  std::string_view bytes, size_t key_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append(name);
  out->append("=\"");
  const std::string_view shown = bytes.substr(0, key_bytes);
  for (char c : shown) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '"' && c != '\\') {
      out->push_back(c);
    } else {
      out->append("\\x");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xf]);
    }
  }
  out->push_back('"');
  if (shown.size() < bytes.size()) {
    absl::StrAppend(out, "...(", bytes.size(), " bytes)");
  }
}

}  // namespace

std::string AuditParams(const ClientRequest& request, size_t key_bytes) {
  std::string out;
  const bool is_write = request.method == Method::kPut ||
                        request.method == Method::kDelete ||
                        request.method == Method::kBatch;
  switch (request.method) {
    case Method::kGet:
    case Method::kDelete:
    case Method::kPut:
      if (request.ops.empty()) {
        out = "ops=0";
        break;
      }
      AppendQuoted(&out, "key", request.ops[0].key, key_bytes);
      if (request.method == Method::kPut) {
        absl::StrAppend(&out, " value_bytes=", request.ops[0].value.size());
      }
      break;
    case Method::kBatch: {
      uint64_t puts = 0;
      uint64_t value_bytes = 0;
      for (const BatchOp& op : request.ops) {
        if (!op.is_delete) {
          ++puts;
          value_bytes += op.value.size();
        }
      }
      absl::StrAppend(&out, "ops=", request.ops.size(), " puts=", puts,
                      " deletes=", request.ops.size() - puts,
                      " value_bytes=", value_bytes);
      if (!request.ops.empty()) {
        out.push_back(' ');
        AppendQuoted(&out, "first_key", request.ops[0].key, key_bytes);
      }
      break;
    }
    case Method::kScan:
      AppendQuoted(&out, "start", request.scan_start, key_bytes);
      out.push_back(' ');
      AppendQuoted(&out, "end", request.scan_end, key_bytes);
      absl::StrAppend(&out, " limit=", request.scan_limit);
      break;
    case Method::kStatus:
      break;
    case Method::kReportFailure:
      absl::StrAppend(&out, "failed_request=", request.failed_request_id,
                      " ");
      AppendQuoted(&out, "reason", request.failure_reason, key_bytes);
      break;
  }
  if (is_write && request.sync) out.append(" sync");
  return out;
}

}  // namespace cairn::cluster
