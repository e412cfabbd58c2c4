// Status helpers: how the engine names errors.
//
// The engine reports errors as absl::Status. The C ABI turns them into
// cairn_status_t in one place (plugin/status_map.cc) by code:
//
//   absl code                              cairn status
//   kNotFound                              CAIRN_NOT_FOUND
//   kInvalidArgument, kOutOfRange,
//   kAlreadyExists, kFailedPrecondition    CAIRN_INVALID_ARGUMENT
//   kPermissionDenied, kResourceExhausted  CAIRN_IO_ERROR
//   kDataLoss                              CAIRN_CORRUPTION
//   kAborted                               CAIRN_BUSY
//   kUnavailable, kCancelled               CAIRN_UNAVAILABLE
//   kDeadlineExceeded                      CAIRN_TIMEOUT
//   kUnimplemented                         CAIRN_NOT_SUPPORTED
//   kInternal, kUnknown, anything else     CAIRN_INTERNAL
//
// A status may also carry the C ABI code it means (CairnCode, as a payload),
// which then wins over the table: an I/O error is CAIRN_IO_ERROR and a held
// database CAIRN_BUSY because they say so, not because their absl codes
// were borrowed for them. Use the helpers below rather than raw codes so the
// mapping stays honest.
#ifndef CAIRN_ENGINE_STATUS_H_
#define CAIRN_ENGINE_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "leveldb/status.h"

namespace cairn {

// What the caller of the C ABI should do; the values are cairn_status_t's
// (api/include/cairn/cairn.h), which the plugin checks at compile time.
enum class CairnCode : int {
  kNotFound = 1,
  kInvalidArgument = 2,
  kIoError = 3,
  kCorruption = 4,
  kBusy = 5,
  kUnavailable = 6,
  kTimeout = 7,
  kNotSupported = 8,
  kInternal = 9,
};

// Attaches the C ABI code `code` to a failed status.
[[nodiscard]] absl::Status WithCairnCode(absl::Status s, CairnCode code);
// The code a status carries, or 0 if none.
int CarriedCairnCode(const absl::Status& s);
// True for a status made by BusyError (a database held by another owner).
bool IsBusy(const absl::Status& s);

// A filesystem failure (EIO, ENOSPC, EACCES...).
[[nodiscard]] absl::Status IoError(std::string_view message);
// The resource is held by another owner; the message names it.
[[nodiscard]] absl::Status BusyError(std::string_view message);
// Stored data failed a checksum or could not be parsed.
[[nodiscard]] absl::Status CorruptionError(std::string_view message);

// Converts a LevelDB status, prefixing the message with `context`.
[[nodiscard]] absl::Status FromLevelDB(const leveldb::Status& s,
                                       std::string_view context);

}  // namespace cairn

#endif  // CAIRN_ENGINE_STATUS_H_
