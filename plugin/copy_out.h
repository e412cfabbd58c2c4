// Buffers handed to C callers: malloc'd, freed with cairn_free().
#ifndef CAIRN_PLUGIN_COPY_OUT_H_
#define CAIRN_PLUGIN_COPY_OUT_H_

#include <stdlib.h>
#include <string.h>

#include <new>
#include <string_view>

namespace cairn::plugin {

// A copy of `s` (never null, even when empty). Throws bad_alloc.
inline char* CopyOut(std::string_view s) {
  char* out = static_cast<char*>(malloc(s.empty() ? 1 : s.size()));
  if (out == nullptr) throw std::bad_alloc();
  if (!s.empty()) memcpy(out, s.data(), s.size());
  return out;
}

// A NUL-terminated copy of `s`. Throws bad_alloc.
inline char* CopyCString(std::string_view s) {
  char* out = static_cast<char*>(malloc(s.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

inline bool BadBytes(const char* p, size_t len) {
  return p == nullptr && len > 0;
}

}  // namespace cairn::plugin

#endif  // CAIRN_PLUGIN_COPY_OUT_H_
