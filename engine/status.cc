#include "engine/status.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "engine/strings.h"

namespace cairn {
namespace {

constexpr char kCairnCodeUrl[] = "cairn/code";

}  // namespace

absl::Status WithCairnCode(absl::Status s, CairnCode code) {
  if (s.ok()) return s;
  char byte = static_cast<char>(code);
  s.SetPayload(kCairnCodeUrl, absl::Cord(absl::string_view(&byte, 1)));
  return s;
}

int CarriedCairnCode(const absl::Status& s) {
  auto payload = s.GetPayload(kCairnCodeUrl);
  if (!payload.has_value() || payload->size() != 1) return 0;
  return static_cast<unsigned char>((*payload)[0]);
}

bool IsBusy(const absl::Status& s) {
  return CarriedCairnCode(s) == static_cast<int>(CairnCode::kBusy);
}

absl::Status IoError(std::string_view message) {
  return WithCairnCode(absl::Status(absl::StatusCode::kUnknown, AV(message)),
                       CairnCode::kIoError);
}

absl::Status BusyError(std::string_view message) {
  return WithCairnCode(absl::FailedPreconditionError(AV(message)),
                       CairnCode::kBusy);
}

absl::Status CorruptionError(std::string_view message) {
  return absl::DataLossError(AV(message));
}

absl::Status FromLevelDB(const leveldb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string message = context.empty()
                            ? s.ToString()
                            : absl::StrCat(AV(context), ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return CorruptionError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (s.IsNotSupportedError()) return absl::UnimplementedError(message);
  // A LOCK held by another process is found before LevelDB opens (see
  // db_lock.h), so an I/O error here is an I/O error.
  if (s.IsIOError()) return IoError(message);
  return absl::InternalError(message);
}

}  // namespace cairn
