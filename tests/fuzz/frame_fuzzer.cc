// Fuzzes the frame decoder (RELIABILITY B1, B3): any byte stream, fed in any
// chunking, with or without a mac, yields frames within the cap that
// re-encode to a frame decoding the same, or one error that then sticks;
// the buffer never holds more than one frame and one chunk.
//
// Input: a mode byte (bit 0: the connection is authenticated and frames
// carry a mac; bits 1..7: the chunk size fed per call, minus one), then the
// stream. The seeds under corpus/frame use the secret and nonces below.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "replication/frame.h"

namespace {

using cairn::replication::Direction;
using cairn::replication::Frame;
using cairn::replication::FrameDecoder;
using cairn::replication::FrameEncoder;
using cairn::replication::MacState;

constexpr uint32_t kCap = 1024;

MacState ReceiverMac() {
  MacState m;
  m.secret = "fuzz-secret";
  m.direction = Direction::kClientToServer;
  // The receiver's view: the sender's (client's) nonce is remote.
  for (size_t i = 0; i < m.nonce_local.size(); ++i) {
    m.nonce_remote[i] = static_cast<uint8_t>(1 + i);
    m.nonce_local[i] = static_cast<uint8_t>(0x80 + i);
  }
  return m;
}

void CheckRoundTrip(const Frame& f) {
  std::string again;
  if (!FrameEncoder::Encode(f.type, f.payload, nullptr, &again).ok()) abort();
  FrameDecoder d(kCap);
  d.Feed(again.data(), again.size());
  absl::StatusOr<std::optional<Frame>> g = d.Next();
  if (!g.ok() || !g->has_value() || (*g)->type != f.type ||
      (*g)->payload != f.payload || d.buffered() != 0) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool with_mac = (data[0] & 1) != 0;
  const size_t chunk = 1 + (data[0] >> 1);
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  MacState mac = ReceiverMac();
  FrameDecoder d(kCap);
  if (with_mac) d.Authenticated(kCap, &mac);
  const size_t bound = cairn::replication::kFrameHeaderSize + kCap +
                       cairn::replication::kMacSize + chunk;

  for (size_t pos = 0; pos < in.size();) {
    const size_t n = std::min(chunk, in.size() - pos);
    d.Feed(in.data() + pos, n);
    pos += n;
    for (;;) {
      absl::StatusOr<std::optional<Frame>> f = d.Next();
      if (!f.ok()) {
        // Dead: the same error again, and nothing more is kept.
        absl::StatusOr<std::optional<Frame>> again = d.Next();
        if (again.ok() || again.status() != f.status()) abort();
        if (d.buffered() != 0) abort();
        return 0;
      }
      if (!f->has_value()) break;
      const Frame& frame = **f;
      const int type = static_cast<int>(frame.type);
      if (type < 1 || type > 31 || frame.payload.size() > kCap) abort();
      CheckRoundTrip(frame);
    }
    if (d.buffered() > bound) abort();
  }
  return 0;
}
