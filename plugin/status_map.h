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

// For entry points without a status: swallow exceptions.
template <typename F>
void GuardVoid(F&& body) noexcept {
  try {
    body();
  } catch (...) {
  }
}

}  // namespace cairn::plugin

#endif  // CAIRN_PLUGIN_STATUS_MAP_H_
