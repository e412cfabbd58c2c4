// Frames: the unit of the replication protocol on a TCP connection.
//
// Layout (little-endian):
//   header (16 bytes)
//     magic     u16  0x4352 ("CR")
//     type      u8   FrameType
//     flags     u8   0 (reserved; a frame with other flags is refused)
//     length    u32  payload bytes, <= the connection's current cap
//     checksum  u64  XXH3-64 of header bytes 0..7 followed by the payload
//   payload   (length bytes)
//   mac       (32 bytes, only once the connection is authenticated)
//             HMAC-SHA256(secret, direction u8 | counter u64 | nonce_local
//             16 | nonce_remote 16 | header 16 | payload), compared in
//             constant time (CRYPTO_memcmp). `counter` starts at 0 per
//             direction after authentication and grows by one per frame, so
//             a replayed, reordered or reflected frame fails its mac.
//
// Each endpoint fills its MacStates from its own point of view: nonce_local
// is its own Hello/Welcome nonce, nonce_remote the peer's, and `direction`
// the way the frames that state covers travel (the client's encoder and the
// server's decoder both say kClientToServer). The mac always puts the
// sending side's nonce first, so the decoder swaps them.
//
// FrameDecoder is incremental: feed it whatever bytes arrived, take complete
// frames out. It never buffers more than one frame (header + cap + mac), and
// reports the first problem as a Status naming it (the connection is then
// closed; the decoder is dead): InvalidArgument for a malformed header or a
// length over the cap, DataLoss for a bad checksum, Unauthenticated for a
// bad mac. Before authentication the cap is small
// (kPreAuthMaxPayload): a stranger cannot make us allocate.
//
// Not thread-safe: one encoder and one decoder per connection direction.
#ifndef CAIRN_REPLICATION_FRAME_H_
#define CAIRN_REPLICATION_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::replication {

inline constexpr uint16_t kFrameMagic = 0x4352;
inline constexpr size_t kFrameHeaderSize = 16;
inline constexpr size_t kMacSize = 32;
inline constexpr size_t kNonceSize = 16;
// Largest payload accepted before the handshake authenticated the peer.
inline constexpr uint32_t kPreAuthMaxPayload = 4096;

enum class FrameType : uint8_t {
  kHello = 1,          // client -> server, first frame (wire.h Hello)
  kWelcome = 2,        // server -> client (wire.h Welcome)
  kAuth = 3,           // either way: proof of the secret (wire.h Auth)
  kOpBatch = 4,        // sender -> receiver: op-log entries (wire.h OpBatch)
  kAck = 5,            // receiver -> sender (wire.h Ack)
  kHeartbeat = 6,      // sender -> receiver (wire.h Heartbeat)
  kHeartbeatReply = 7, // receiver -> sender (wire.h Heartbeat)
  kDigestRequest = 8,  // sender -> receiver (wire.h DigestRequest)
  kDigestReply = 9,    // receiver -> sender (wire.h DigestReply)
  kSnapshotChunk = 10, // sender -> receiver: resync records (wire.h)
  kRepair = 11,        // sender -> receiver: records of differing buckets
  kError = 12,         // either way, then close: a reason (wire.h ErrorFrame)
  kClientRequest = 13, // client -> node (cluster/client_wire.h)
  kClientReply = 14,   // node -> client (cluster/client_wire.h)
  // 15..31 reserved for the cluster client protocol (issue 13).
  kMaxKnown = 31,
};

// Which way a frame travels on a connection, for the mac.
enum class Direction : uint8_t { kClientToServer = 1, kServerToClient = 2 };

struct Frame {
  FrameType type = FrameType::kError;
  std::string payload;
};

// The authentication state of one direction of a connection.
struct MacState {
  std::string secret;  // empty: frames carry no mac
  Direction direction = Direction::kClientToServer;
  std::array<uint8_t, kNonceSize> nonce_local{};
  std::array<uint8_t, kNonceSize> nonce_remote{};
  uint64_t counter = 0;
};

// HMAC-SHA256 of `data` under `secret` (OpenSSL).
std::array<uint8_t, kMacSize> HmacSha256(std::string_view secret,
                                         std::string_view data);
// Constant-time equality.
bool MacEqual(const uint8_t* a, const uint8_t* b, size_t n);
// `n` bytes from the OS's CSPRNG (OpenSSL RAND_bytes); Internal on failure.
[[nodiscard]] absl::Status RandomBytes(uint8_t* out, size_t n);

class FrameEncoder {
 public:
  // Appends one frame to *out. With `mac` set (authenticated), appends the
  // mac and advances mac->counter. InvalidArgument for a payload over
  // UINT32_MAX bytes or an unknown type.
  [[nodiscard]] static absl::Status Encode(FrameType type,
                                           std::string_view payload,
                                           MacState* mac, std::string* out);
};

class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_payload = kPreAuthMaxPayload)
      : max_payload_(max_payload) {}

  // Raises the cap (after authentication) and turns on mac checking when
  // `mac` is non-null (its counter advances per frame). The decoder keeps
  // the pointer; the caller keeps the MacState alive.
  void Authenticated(uint32_t max_payload, MacState* mac);

  // Appends received bytes. Cheap; decoding happens in Next().
  void Feed(const char* data, size_t n);
  // The next complete frame, std::nullopt when more bytes are needed, or an
  // error naming the problem (bad magic, flags, unknown type, length over the
  // cap, bad checksum, bad mac). After an error every call returns it.
  [[nodiscard]] absl::StatusOr<std::optional<Frame>> Next();
  // Bytes buffered and not yet returned as frames (bounded by one frame).
  size_t buffered() const { return buffer_.size() - pos_; }

 private:
  uint32_t max_payload_;
  bool authenticated_ = false;  // Authenticated() was called
  MacState* mac_ = nullptr;
  std::string buffer_;
  size_t pos_ = 0;
  absl::Status error_;
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_FRAME_H_
