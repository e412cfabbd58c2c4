#include "plugin/status_map.h"

#include <stdlib.h>
#include <string.h>

#include "engine/status.h"

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
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kResourceExhausted:
      return CAIRN_IO_ERROR;
    case absl::StatusCode::kDataLoss:
      return CAIRN_CORRUPTION;
    // The system is not in a state for the call: fix the state, do not
    // retry as is.
    case absl::StatusCode::kFailedPrecondition:
      return CAIRN_INVALID_ARGUMENT;
    // A conflict with a concurrent caller: retry.
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

// The engine's CairnCode values are the ABI's.
static_assert(static_cast<int>(CairnCode::kNotFound) == CAIRN_NOT_FOUND);
static_assert(static_cast<int>(CairnCode::kInvalidArgument) ==
              CAIRN_INVALID_ARGUMENT);
static_assert(static_cast<int>(CairnCode::kIoError) == CAIRN_IO_ERROR);
static_assert(static_cast<int>(CairnCode::kCorruption) == CAIRN_CORRUPTION);
static_assert(static_cast<int>(CairnCode::kBusy) == CAIRN_BUSY);
static_assert(static_cast<int>(CairnCode::kUnavailable) == CAIRN_UNAVAILABLE);
static_assert(static_cast<int>(CairnCode::kTimeout) == CAIRN_TIMEOUT);
static_assert(static_cast<int>(CairnCode::kNotSupported) ==
              CAIRN_NOT_SUPPORTED);
static_assert(static_cast<int>(CairnCode::kInternal) == CAIRN_INTERNAL);

cairn_status_t ToCairnStatus(const absl::Status& s) {
  if (s.ok()) return CAIRN_OK;
  // A code the status carries says what it means; the table is the default.
  if (int carried = CarriedCairnCode(s);
      carried >= CAIRN_NOT_FOUND && carried <= CAIRN_INTERNAL) {
    return static_cast<cairn_status_t>(carried);
  }
  return ToCairn(s.code());
}

cairn_status_t Report(const absl::Status& s, char** errmsg) {
  if (s.ok()) return CAIRN_OK;
  SetMessage(std::string_view(s.message().data(), s.message().size()), errmsg);
  return ToCairnStatus(s);
}

cairn_status_t Fail(cairn_status_t status, std::string_view message,
                    char** errmsg) {
  SetMessage(message, errmsg);
  return status;
}

}  // namespace cairn::plugin
