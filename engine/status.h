// Status helpers: how the engine names errors.
//
// The engine reports errors as absl::Status. The C ABI turns them into
// cairn_status_t in one place (plugin/status_map.cc) by code:
//
//   absl code                              cairn status
//   kNotFound                              CAIRN_NOT_FOUND
//   kInvalidArgument, kOutOfRange,
//   kAlreadyExists                         CAIRN_INVALID_ARGUMENT
//   kUnknown, kPermissionDenied,
//   kResourceExhausted                     CAIRN_IO_ERROR
//   kDataLoss                              CAIRN_CORRUPTION
//   kFailedPrecondition, kAborted          CAIRN_BUSY
//   kUnavailable, kCancelled               CAIRN_UNAVAILABLE
//   kDeadlineExceeded                      CAIRN_TIMEOUT
//   kUnimplemented                         CAIRN_NOT_SUPPORTED
//   kInternal, anything else               CAIRN_INTERNAL
//
// Use the helpers below rather than raw codes so the mapping stays honest.
#ifndef CAIRN_ENGINE_STATUS_H_
#define CAIRN_ENGINE_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "leveldb/status.h"

namespace cairn {

// A filesystem failure (EIO, ENOSPC, EACCES...).
absl::Status IoError(std::string_view message);
// The resource is held by another owner; the message names it.
absl::Status BusyError(std::string_view message);
// Stored data failed a checksum or could not be parsed.
absl::Status CorruptionError(std::string_view message);

// Converts a LevelDB status, prefixing the message with `context`.
absl::Status FromLevelDB(const leveldb::Status& s, std::string_view context);

}  // namespace cairn

#endif  // CAIRN_ENGINE_STATUS_H_
