// Fuzzes the wire message decoders (RELIABILITY B3): every payload is either
// refused with InvalidArgument or decoded into a value whose encoding decodes
// again to the same encoding.
//
// Input: a selector byte (its low bits pick the decoder; bit 7 picks small
// limits, so the key, value and count caps are reached), then the payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "replication/wire.h"

namespace {

using namespace cairn::replication;  // NOLINT: a fuzzer over the whole header

// Decodes `p`, and if it is valid checks that encode(decode(p)) is a fixed
// point; returns nothing, aborts on a violation.
template <typename Decode, typename Encode>
void Check(std::string_view p, Decode decode, Encode encode) {
  auto v = decode(p);
  if (!v.ok()) {
    if (v.status().code() != absl::StatusCode::kInvalidArgument) abort();
    return;
  }
  const std::string once = encode(*v);
  auto w = decode(once);
  if (!w.ok() || encode(*w) != once) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  WireLimits limits;
  if (data[0] & 0x80) {
    limits.max_key_size = 8;
    limits.max_value_size = 16;
    limits.max_ops = 3;
  }
  std::string_view p(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto with_limits = [&limits](auto decode) {
    return [&limits, decode](std::string_view q) { return decode(q, limits); };
  };
  switch ((data[0] & 0x7f) % 11) {
    case 0:
      Check(p, DecodeHello, EncodeHello);
      break;
    case 1:
      Check(p, DecodeWelcome, EncodeWelcome);
      break;
    case 2:
      Check(p, DecodeAuth, EncodeAuth);
      break;
    case 3:
      Check(p, with_limits(DecodeOpBatch), EncodeOpBatch);
      break;
    case 4:
      Check(p, DecodeAck, EncodeAck);
      break;
    case 5:
      Check(p, DecodeHeartbeat, EncodeHeartbeat);
      break;
    case 6:
      Check(p, DecodeDigestRequest, EncodeDigestRequest);
      break;
    case 7:
      Check(p, DecodeDigestReply, EncodeDigestReply);
      break;
    case 8:
      Check(p, with_limits(DecodeSnapshotChunk), EncodeSnapshotChunk);
      break;
    case 9:
      Check(p, with_limits(DecodeRepair), EncodeRepair);
      break;
    case 10:
      Check(p, DecodeError, EncodeError);
      break;
  }
  return 0;
}
