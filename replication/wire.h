// Wire messages: the payloads of replication frames (frame.h), encoded and
// decoded. Integers are little-endian fixed width unless marked varint
// (LEB128, at most 10 bytes); strings and byte arrays are a varint length
// then the bytes. Every decoder checks every length against what remains and
// against the caps it is given, and refuses trailing bytes: a malformed
// payload is InvalidArgument naming the message and the field, never a
// crash, an over-read or an allocation larger than the payload itself.
//
// Plain structs and free functions; thread-safe.
#ifndef CAIRN_REPLICATION_WIRE_H_
#define CAIRN_REPLICATION_WIRE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/format.h"
#include "engine/version.h"
#include "replication/frame.h"

namespace cairn::replication {

// 2: digest requests carry a horizon. Nodes speaking different versions
// refuse each other at the handshake, naming both.
inline constexpr uint32_t kProtocolVersion = 2;

// What the connecting side is.
enum class Role : uint8_t { kPeer = 1, kClient = 2 };

// kHello: the connecting side introduces itself. Before authentication.
struct Hello {
  uint32_t protocol_version = kProtocolVersion;
  std::string cluster_id;  // <= 255 bytes
  uint32_t node_id = 0;    // the sender's node id (0 for a client)
  Role role = Role::kPeer;
  bool has_secret = false;  // the sender will authenticate with a secret
  std::array<uint8_t, kNonceSize> nonce{};
};

// What the receiver holds of the sender's op log (in Welcome).
struct ReceiveCursor {
  // Every operation of the sender's log up to `applied` is applied here.
  uint64_t applied = 0;
  // A resync from this sender is under way: it started at snapshot
  // `resync_from` and every key below `resync_resume_key` is done.
  bool resync_in_progress = false;
  uint64_t resync_from = 0;
  std::string resync_resume_key;
};

// kWelcome: the accepting side answers a Hello.
struct Welcome {
  uint32_t protocol_version = kProtocolVersion;
  std::string cluster_id;
  uint32_t node_id = 0;
  bool has_secret = false;
  std::array<uint8_t, kNonceSize> nonce{};
  ReceiveCursor cursor;
};

// kAuth: HMAC-SHA256(secret, label | client nonce | server nonce |
// cluster id | client node id | server node id); label is "cairn-client" from
// the connecting side and "cairn-server" from the accepting side.
struct Auth {
  std::array<uint8_t, kMacSize> proof{};
};

// One operation in a batch, snapshot chunk or repair.
struct WireOp {
  OpKind kind = OpKind::kPut;
  Version version;
  std::string key;
  std::string value;  // empty for deletes
};

// kOpBatch: the sender's op-log entries first_sequence..last_sequence (whole
// log batches; operations the relay filtered out or later batches superseded
// are absent, so `ops` may be empty), applied by the receiver as one atomic
// batch that also records last_sequence as its cursor.
struct OpBatch {
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  bool sync = false;  // a writer waits for it: apply durably, ack at once
  std::vector<WireOp> ops;
};

// kAck: every operation of the sender's log up to `applied` is applied (and
// durable when `durable`).
struct Ack {
  uint64_t applied = 0;
  bool durable = false;
};

// kHeartbeat / kHeartbeatReply.
struct Heartbeat {
  uint64_t id = 0;
  uint64_t sender_time_ms = 0;
  uint64_t last_sequence = 0;  // the replier's newest local sequence
};

// kDigestRequest: "send me your digest with `buckets` buckets", over the
// records whose versions are below `horizon_hlc` (0: every record; new in
// protocol 2).
struct DigestRequest {
  uint64_t id = 0;
  uint32_t buckets = 0;  // 1..65536
  uint64_t horizon_hlc = 0;
};

// kDigestReply: one 64-bit hash per bucket (see digest.h).
struct DigestReply {
  uint64_t id = 0;
  uint64_t sequence = 0;  // the snapshot the digest was computed at
  std::vector<uint64_t> hashes;
};

// kSnapshotChunk: records of a full resync, in key order. The receiver
// applies them version-guarded and records (resync_from, resume_key) in the
// same batch; `last` ends the resync, setting its cursor to resync_from.
struct SnapshotChunk {
  uint64_t resync_from = 0;
  std::string resume_key;  // where the next chunk starts; "" with last
  bool last = false;
  std::vector<WireOp> records;
};

// kRepair: records of buckets whose digests differed, applied version-guarded.
struct Repair {
  std::vector<WireOp> records;
};

// kError: why the sender is closing the connection.
struct ErrorFrame {
  std::string reason;  // <= 1024 bytes
};

// Caps a decoder enforces (besides the frame's own length).
struct WireLimits {
  uint32_t max_key_size = 65536;
  uint32_t max_value_size = 64u << 20;
  uint32_t max_ops = 1u << 20;
};

std::string EncodeHello(const Hello& m);
std::string EncodeWelcome(const Welcome& m);
std::string EncodeAuth(const Auth& m);
std::string EncodeOpBatch(const OpBatch& m);
std::string EncodeAck(const Ack& m);
std::string EncodeHeartbeat(const Heartbeat& m);
std::string EncodeDigestRequest(const DigestRequest& m);
std::string EncodeDigestReply(const DigestReply& m);
std::string EncodeSnapshotChunk(const SnapshotChunk& m);
std::string EncodeRepair(const Repair& m);
std::string EncodeError(const ErrorFrame& m);

[[nodiscard]] absl::StatusOr<Hello> DecodeHello(std::string_view p);
[[nodiscard]] absl::StatusOr<Welcome> DecodeWelcome(std::string_view p);
[[nodiscard]] absl::StatusOr<Auth> DecodeAuth(std::string_view p);
[[nodiscard]] absl::StatusOr<OpBatch> DecodeOpBatch(std::string_view p,
                                                    const WireLimits& limits);
[[nodiscard]] absl::StatusOr<Ack> DecodeAck(std::string_view p);
[[nodiscard]] absl::StatusOr<Heartbeat> DecodeHeartbeat(std::string_view p);
[[nodiscard]] absl::StatusOr<DigestRequest> DecodeDigestRequest(
    std::string_view p);
[[nodiscard]] absl::StatusOr<DigestReply> DecodeDigestReply(std::string_view p);
[[nodiscard]] absl::StatusOr<SnapshotChunk> DecodeSnapshotChunk(
    std::string_view p, const WireLimits& limits);
[[nodiscard]] absl::StatusOr<Repair> DecodeRepair(std::string_view p,
                                                  const WireLimits& limits);
[[nodiscard]] absl::StatusOr<ErrorFrame> DecodeError(std::string_view p);

// The Auth proof for one side (see Auth).
std::array<uint8_t, kMacSize> AuthProof(std::string_view secret,
                                        bool from_client,
                                        const std::array<uint8_t, kNonceSize>&
                                            client_nonce,
                                        const std::array<uint8_t, kNonceSize>&
                                            server_nonce,
                                        std::string_view cluster_id,
                                        uint32_t client_node,
                                        uint32_t server_node);

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_WIRE_H_
