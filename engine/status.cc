#include "engine/status.h"
#include "engine/strings.h"

#include "absl/strings/str_cat.h"

namespace cairn {

absl::Status IoError(std::string_view message) {
  return absl::Status(absl::StatusCode::kUnknown, AV(message));
}

absl::Status BusyError(std::string_view message) {
  return absl::FailedPreconditionError(AV(message));
}

absl::Status CorruptionError(std::string_view message) {
  return absl::DataLossError(AV(message));
}

absl::Status FromLevelDB(const leveldb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string message =
      context.empty() ? s.ToString() : absl::StrCat(AV(context), ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return CorruptionError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (s.IsNotSupportedError()) return absl::UnimplementedError(message);
  if (s.IsIOError()) {
    // LevelDB reports a held LOCK file as an IO error; it means busy.
    if (message.find("lock") != std::string::npos &&
        (message.find("already held") != std::string::npos ||
         message.find("temporarily unavailable") != std::string::npos)) {
      return BusyError(message);
    }
    return IoError(message);
  }
  return absl::InternalError(message);
}

}  // namespace cairn
