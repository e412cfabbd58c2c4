// The values the replication layer keeps in the engine's metadata (peer
// cursors, acknowledged sequences, resync state): fixed 8-byte
// little-endian integers, optionally followed by more bytes.
#ifndef CAIRN_REPLICATION_METADATA_CODEC_H_
#define CAIRN_REPLICATION_METADATA_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/internal/endian.h"

namespace cairn::replication {

inline std::string EncodeU64(uint64_t v) {
  std::string s(8, '\0');
  absl::little_endian::Store64(s.data(), v);
  return s;
}

// False when `s` is shorter than 8 bytes; trailing bytes are the caller's.
inline bool DecodeU64(std::string_view s, uint64_t* v) {
  if (s.size() < 8) return false;
  *v = absl::little_endian::Load64(s.data());
  return true;
}

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_METADATA_CODEC_H_
