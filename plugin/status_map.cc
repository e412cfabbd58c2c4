#include "plugin/status_map.h"

#include <stdlib.h>
#include <string.h>

namespace cairn::plugin {
namespace {

cairn_status_t ToCairn(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return CAIRN_OK;
    case absl::StatusCode::kNotFound:
      return CAIRN_NOT_FOUND;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return CAIRN_INVALID_ARGUMENT;
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kResourceExhausted:
      return CAIRN_IO_ERROR;
    case absl::StatusCode::kDataLoss:
      return CAIRN_CORRUPTION;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return CAIRN_BUSY;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kCancelled:
      return CAIRN_UNAVAILABLE;
    case absl::StatusCode::kDeadlineExceeded:
      return CAIRN_TIMEOUT;
    case absl::StatusCode::kUnimplemented:
      return CAIRN_NOT_SUPPORTED;
    default:
      return CAIRN_INTERNAL;
  }
}

}  // namespace

void SetMessage(std::string_view message, char** errmsg) {
  if (errmsg == nullptr) return;
  char* m = static_cast<char*>(malloc(message.size() + 1));
  if (m == nullptr) return;
  memcpy(m, message.data(), message.size());
  m[message.size()] = '\0';
  // Overwritten, never freed: unlike LevelDB's c.h, an uninitialised
  // `char* err;` must not crash us. The caller frees each message it gets.
  *errmsg = m;
}

cairn_status_t Report(const absl::Status& s, char** errmsg) {
  if (s.ok()) return CAIRN_OK;
  SetMessage(std::string_view(s.message().data(), s.message().size()), errmsg);
  return ToCairn(s.code());
}

cairn_status_t Fail(cairn_status_t status, std::string_view message,
                    char** errmsg) {
  SetMessage(message, errmsg);
  return status;
}

}  // namespace cairn::plugin
