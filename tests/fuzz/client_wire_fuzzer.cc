// Fuzzes the client protocol's decoders (cluster/client_wire.h): every
// payload is either refused with InvalidArgument or decoded into a value
// whose encoding decodes again to the same encoding.
//
// Input: a selector byte (bit 0 picks request or reply; bit 7 picks small
// limits, so the key, value and count caps are reached), then the payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/client_wire.h"

namespace {

using cairn::cluster::ClientWireLimits;

template <typename Decode, typename Encode>
void Check(std::string_view p, Decode decode, Encode encode) {
  auto v = decode(p);
  if (!v.ok()) {
    if (v.status().code() != absl::StatusCode::kInvalidArgument) abort();
    return;
  }
  std::string once;
  // A decoded value is within the default caps, so it always encodes.
  if (!encode(*v, &once).ok()) abort();
  auto w = decode(once);
  std::string twice;
  if (!w.ok() || !encode(*w, &twice).ok() || twice != once) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ClientWireLimits limits;
  if (data[0] & 0x80) {
    limits.max_key_size = 8;
    limits.max_value_size = 16;
    limits.max_ops = 3;
    limits.max_entries = 3;
  }
  std::string_view p(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    Check(
        p,
        [&limits](std::string_view q) {
          return cairn::cluster::DecodeRequest(q, limits);
        },
        cairn::cluster::EncodeRequest);
  } else {
    Check(
        p,
        [&limits](std::string_view q) {
          return cairn::cluster::DecodeReply(q, limits);
        },
        cairn::cluster::EncodeReply);
  }
  return 0;
}
