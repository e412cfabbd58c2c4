// The one place where engine statuses become C ABI statuses, and the guard
// that keeps exceptions from crossing extern "C".
//
// Every C entry point that can fail runs its body through Guard(): an
// exception (Boost.Interprocess throws, allocation may fail) becomes
// CAIRN_INTERNAL with its message, never an unwind into C code.
#ifndef CAIRN_PLUGIN_STATUS_MAP_H_
#define CAIRN_PLUGIN_STATUS_MAP_H_

#include <exception>
#include <new>
#include <string_view>

#include "absl/status/status.h"
#include "cairn/cairn.h"

namespace cairn::plugin {

// Maps `s` and stores its message in *errmsg (when failing and errmsg is not
// null).
cairn_status_t Report(const absl::Status& s, char** errmsg);
// Fails with `status` and `message`.
cairn_status_t Fail(cairn_status_t status, std::string_view message,
                    char** errmsg);
// The C ABI status `s` means: the code it carries, else by its absl code.
cairn_status_t ToCairnStatus(const absl::Status& s);
// Stores a malloc'd copy of `message` in *errmsg, if errmsg is not null.
void SetMessage(std::string_view message, char** errmsg);

template <typename F>
cairn_status_t Guard(char** errmsg, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(CAIRN_INTERNAL, "out of memory", errmsg);
  } catch (const std::exception& e) {
    return Fail(CAIRN_INTERNAL, e.what(), errmsg);
  } catch (...) {
    return Fail(CAIRN_INTERNAL, "unknown exception", errmsg);
  }
}

// Runs `body`; an exception becomes an Internal status with its message.
// For entry points without a status of their own to return, which record
// the failure where the caller will look (an iterator's status).
template <typename F>
[[nodiscard]] absl::Status CaptureException(F&& body) noexcept {
  try {
    body();
    return absl::OkStatus();
  } catch (const std::bad_alloc&) {
    return absl::InternalError("out of memory");
  } catch (const std::exception& e) {
    return absl::InternalError(e.what());
  } catch (...) {
    return absl::InternalError("unknown exception");
  }
}

// For entry points with nowhere to report (close, destroy): swallow
// exceptions rather than unwind into C.
template <typename F>
void GuardVoid(F&& body) noexcept {
  try {
    body();
  } catch (...) {
  }
}

}  // namespace cairn::plugin

#endif  // CAIRN_PLUGIN_STATUS_MAP_H_
