#include "replication/wire.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "replication/wire_codec.h"

namespace cairn::replication {
namespace {

using codec::PutArray;
using codec::PutBool;
using codec::PutBytes;
using codec::PutU32;
using codec::PutU64;
using codec::PutU8;
using codec::PutVarint;
using codec::Reader;

constexpr size_t kMaxClusterIdSize = 255;
constexpr size_t kMaxErrorReasonSize = 1024;
constexpr uint32_t kMaxDigestBuckets = 65536;
// The smallest encoded WireOp, for bounding counts: kind(1) hlc(8) node(4)
// and two one-byte lengths (an empty key is refused later, by name).
constexpr size_t kMinWireOpSize = 1 + 8 + 4 + 1 + 1;

// ---- Encoding --------------------------------------------------------------

void PutOps(std::string* out, const std::vector<WireOp>& ops) {
  PutVarint(out, ops.size());
  for (const WireOp& op : ops) {
    PutU8(out, static_cast<uint8_t>(op.kind));
    PutU64(out, op.version.hlc);
    PutU32(out, op.version.node);
    PutBytes(out, op.key);
    PutBytes(out, op.value);
  }
}

// ---- Decoding --------------------------------------------------------------

bool ReadOp(Reader& r, const WireLimits& limits, WireOp* op) {
  uint8_t kind;
  if (!r.U8("kind", &kind)) return false;
  if (kind != static_cast<uint8_t>(OpKind::kPut) &&
      kind != static_cast<uint8_t>(OpKind::kDelete)) {
    return r.Fail("kind",
                  absl::StrCat("kind ", kind, " is not put (1) or delete (2)"));
  }
  op->kind = static_cast<OpKind>(kind);
  if (!(r.U64("hlc", &op->version.hlc) && r.U32("node", &op->version.node) &&
        r.Bytes("key", limits.max_key_size, &op->key))) {
    return false;
  }
  if (op->key.empty()) return r.Fail("key", "empty key");
  if (!r.Bytes("value", limits.max_value_size, &op->value)) return false;
  if (op->kind == OpKind::kDelete && !op->value.empty()) {
    return r.Fail("value", absl::StrCat("a delete carries a value of ",
                                        op->value.size(), " bytes"));
  }
  return true;
}

bool ReadOps(Reader& r, const WireLimits& limits, std::vector<WireOp>* ops) {
  size_t count;
  if (!r.Count("ops", limits.max_ops, kMinWireOpSize, &count)) return false;
  ops->reserve(count);
  for (size_t i = 0; i < count; ++i) {
    r.set_element("op", i);
    if (!ReadOp(r, limits, &ops->emplace_back())) return false;
  }
  r.clear_element();
  return true;
}

template <typename T>
absl::StatusOr<T> Done(Reader& r, T&& m) {
  if (!r.Finish()) return r.status();
  return std::forward<T>(m);
}

void PutCursor(std::string* out, const ReceiveCursor& c) {
  PutU64(out, c.applied);
  PutBool(out, c.resync_in_progress);
  PutU64(out, c.resync_from);
  PutBytes(out, c.resync_resume_key);
}

}  // namespace

// ---- Encoders --------------------------------------------------------------

std::string EncodeHello(const Hello& m) {
  std::string out;
  PutU32(&out, m.protocol_version);
  PutBytes(&out, m.cluster_id);
  PutU32(&out, m.node_id);
  PutU8(&out, static_cast<uint8_t>(m.role));
  PutBool(&out, m.has_secret);
  PutArray(&out, m.nonce);
  return out;
}

std::string EncodeWelcome(const Welcome& m) {
  std::string out;
  PutU32(&out, m.protocol_version);
  PutBytes(&out, m.cluster_id);
  PutU32(&out, m.node_id);
  PutBool(&out, m.has_secret);
  PutArray(&out, m.nonce);
  PutCursor(&out, m.cursor);
  return out;
}

std::string EncodeAuth(const Auth& m) {
  std::string out;
  PutArray(&out, m.proof);
  return out;
}

std::string EncodeOpBatch(const OpBatch& m) {
  std::string out;
  PutU64(&out, m.first_sequence);
  PutU64(&out, m.last_sequence);
  PutBool(&out, m.sync);
  PutOps(&out, m.ops);
  return out;
}

std::string EncodeAck(const Ack& m) {
  std::string out;
  PutU64(&out, m.applied);
  PutBool(&out, m.durable);
  return out;
}

std::string EncodeHeartbeat(const Heartbeat& m) {
  std::string out;
  PutU64(&out, m.id);
  PutU64(&out, m.sender_time_ms);
  PutU64(&out, m.last_sequence);
  return out;
}

std::string EncodeDigestRequest(const DigestRequest& m) {
  std::string out;
  PutU64(&out, m.id);
  PutU32(&out, m.buckets);
  PutU64(&out, m.horizon_hlc);
  return out;
}

std::string EncodeDigestReply(const DigestReply& m) {
  std::string out;
  PutU64(&out, m.id);
  PutU64(&out, m.sequence);
  PutVarint(&out, m.hashes.size());
  for (uint64_t h : m.hashes) PutU64(&out, h);
  return out;
}

std::string EncodeSnapshotChunk(const SnapshotChunk& m) {
  std::string out;
  PutU64(&out, m.resync_from);
  PutBytes(&out, m.resume_key);
  PutBool(&out, m.last);
  PutOps(&out, m.records);
  return out;
}

std::string EncodeRepair(const Repair& m) {
  std::string out;
  PutOps(&out, m.records);
  return out;
}

std::string EncodeError(const ErrorFrame& m) {
  std::string out;
  PutBytes(&out, m.reason);
  return out;
}

// ---- Decoders --------------------------------------------------------------

absl::StatusOr<Hello> DecodeHello(std::string_view p) {
  Reader r("Hello", p);
  Hello m;
  uint8_t role = 0;
  if (r.U32("protocol_version", &m.protocol_version) &&
      r.Bytes("cluster_id", kMaxClusterIdSize, &m.cluster_id) &&
      r.U32("node_id", &m.node_id) && r.U8("role", &role) &&
      r.Check(role == static_cast<uint8_t>(Role::kPeer) ||
                  role == static_cast<uint8_t>(Role::kClient),
              "role",
              absl::StrCat("role ", role, " is not peer (1) or client (2)")) &&
      r.Bool("has_secret", &m.has_secret) && r.Array("nonce", &m.nonce)) {
    m.role = static_cast<Role>(role);
  }
  return Done(r, std::move(m));
}

absl::StatusOr<Welcome> DecodeWelcome(std::string_view p) {
  Reader r("Welcome", p);
  Welcome m;
  // The resume key is a user key: its cap is the default key cap, and the
  // frame's own (pre-authentication) cap bounds it further.
  (void)(r.U32("protocol_version", &m.protocol_version) &&
         r.Bytes("cluster_id", kMaxClusterIdSize, &m.cluster_id) &&
         r.U32("node_id", &m.node_id) && r.Bool("has_secret", &m.has_secret) &&
         r.Array("nonce", &m.nonce) &&
         r.U64("cursor.applied", &m.cursor.applied) &&
         r.Bool("cursor.resync_in_progress", &m.cursor.resync_in_progress) &&
         r.U64("cursor.resync_from", &m.cursor.resync_from) &&
         r.Bytes("cursor.resync_resume_key", WireLimits().max_key_size,
                 &m.cursor.resync_resume_key));
  return Done(r, std::move(m));
}

absl::StatusOr<Auth> DecodeAuth(std::string_view p) {
  Reader r("Auth", p);
  Auth m;
  (void)r.Array("proof", &m.proof);
  return Done(r, std::move(m));
}

absl::StatusOr<OpBatch> DecodeOpBatch(std::string_view p,
                                      const WireLimits& limits) {
  Reader r("OpBatch", p);
  OpBatch m;
  (void)(r.U64("first_sequence", &m.first_sequence) &&
         r.U64("last_sequence", &m.last_sequence) &&
         r.Check(m.first_sequence <= m.last_sequence, "last_sequence",
                 absl::StrCat("last_sequence ", m.last_sequence,
                              " below first_sequence ", m.first_sequence)) &&
         r.Bool("sync", &m.sync) && ReadOps(r, limits, &m.ops));
  return Done(r, std::move(m));
}

absl::StatusOr<Ack> DecodeAck(std::string_view p) {
  Reader r("Ack", p);
  Ack m;
  (void)(r.U64("applied", &m.applied) && r.Bool("durable", &m.durable));
  return Done(r, std::move(m));
}

absl::StatusOr<Heartbeat> DecodeHeartbeat(std::string_view p) {
  Reader r("Heartbeat", p);
  Heartbeat m;
  (void)(r.U64("id", &m.id) && r.U64("sender_time_ms", &m.sender_time_ms) &&
         r.U64("last_sequence", &m.last_sequence));
  return Done(r, std::move(m));
}

absl::StatusOr<DigestRequest> DecodeDigestRequest(std::string_view p) {
  Reader r("DigestRequest", p);
  DigestRequest m;
  (void)(r.U64("id", &m.id) && r.U32("buckets", &m.buckets) &&
         r.Check(m.buckets >= 1 && m.buckets <= kMaxDigestBuckets, "buckets",
                 absl::StrCat("buckets ", m.buckets, " outside 1..",
                              kMaxDigestBuckets)) &&
         r.U64("horizon_hlc", &m.horizon_hlc));
  return Done(r, std::move(m));
}

absl::StatusOr<DigestReply> DecodeDigestReply(std::string_view p) {
  Reader r("DigestReply", p);
  DigestReply m;
  size_t count = 0;
  if (r.U64("id", &m.id) && r.U64("sequence", &m.sequence) &&
      r.Count("hashes.count", kMaxDigestBuckets, sizeof(uint64_t), &count)) {
    m.hashes.resize(count);
    for (size_t i = 0; i < count; ++i) {
      (void)r.U64("hashes", &m.hashes[i]);
    }
  }
  return Done(r, std::move(m));
}

absl::StatusOr<SnapshotChunk> DecodeSnapshotChunk(std::string_view p,
                                                  const WireLimits& limits) {
  Reader r("SnapshotChunk", p);
  SnapshotChunk m;
  (void)(r.U64("resync_from", &m.resync_from) &&
         r.Bytes("resume_key", limits.max_key_size, &m.resume_key) &&
         r.Bool("last", &m.last) &&
         r.Check(!m.last || m.resume_key.empty(), "resume_key",
                 absl::StrCat("the last chunk carries a resume key of ",
                              m.resume_key.size(), " bytes")) &&
         ReadOps(r, limits, &m.records));
  return Done(r, std::move(m));
}

absl::StatusOr<Repair> DecodeRepair(std::string_view p,
                                    const WireLimits& limits) {
  Reader r("Repair", p);
  Repair m;
  (void)ReadOps(r, limits, &m.records);
  return Done(r, std::move(m));
}

absl::StatusOr<ErrorFrame> DecodeError(std::string_view p) {
  Reader r("ErrorFrame", p);
  ErrorFrame m;
  (void)r.Bytes("reason", kMaxErrorReasonSize, &m.reason);
  return Done(r, std::move(m));
}

std::array<uint8_t, kMacSize> AuthProof(
    std::string_view secret, bool from_client,
    const std::array<uint8_t, kNonceSize>& client_nonce,
    const std::array<uint8_t, kNonceSize>& server_nonce,
    std::string_view cluster_id, uint32_t client_node, uint32_t server_node) {
  // Both labels are 12 bytes and the cluster id is the only variable field,
  // followed by fixed-width ones: the concatenation is unambiguous.
  std::string data(from_client ? "cairn-client" : "cairn-server");
  PutArray(&data, client_nonce);
  PutArray(&data, server_nonce);
  data.append(cluster_id.data(), cluster_id.size());
  PutU32(&data, client_node);
  PutU32(&data, server_node);
  return HmacSha256(secret, data);
}

}  // namespace cairn::replication
