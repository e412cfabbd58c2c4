// Debian's Abseil 20220623 has its own absl::string_view, distinct from
// std::string_view. Cairn's interfaces use std::string_view; these adapters
// are used where a value crosses into or out of Abseil.
#ifndef CAIRN_ENGINE_STRINGS_H_
#define CAIRN_ENGINE_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace cairn {

inline absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view SV(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace cairn

#endif  // CAIRN_ENGINE_STRINGS_H_
