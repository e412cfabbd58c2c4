#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cluster/client_wire.h"

namespace cairn::cluster {

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet: return "get";
    case Method::kPut: return "put";
    case Method::kDelete: return "delete";
    case Method::kBatch: return "batch";
    case Method::kScan: return "scan";
    case Method::kStatus: return "status";
    case Method::kReportFailure: return "report_failure";
  }
  return "unknown";
}

absl::StatusOr<Method> ParseMethod(std::string_view name) {
  for (uint8_t m = 1; m <= kMaxMethod; ++m) {
    if (MethodName(static_cast<Method>(m)) == name) {
      return static_cast<Method>(m);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown method '", std::string(name),
      "' (one of get, put, delete, batch, scan, status, report_failure)"));
}

}  // namespace cairn::cluster
