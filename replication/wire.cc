#include "replication/wire.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cairn::replication {
namespace {

constexpr size_t kMaxClusterIdSize = 255;
constexpr size_t kMaxErrorReasonSize = 1024;
constexpr uint32_t kMaxDigestBuckets = 65536;
constexpr size_t kMaxVarintSize = 10;
// The smallest encoded WireOp, for bounding counts: kind(1) hlc(8) node(4)
// and two one-byte lengths (an empty key is refused later, by name).
constexpr size_t kMinWireOpSize = 1 + 8 + 4 + 1 + 1;

// ---- Encoding --------------------------------------------------------------

void PutFixed(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out->push_back(static_cast<char>(v >> (8 * i)));
  }
}
void PutU8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}
void PutU32(std::string* out, uint32_t v) { PutFixed(out, v, 4); }
void PutU64(std::string* out, uint64_t v) { PutFixed(out, v, 8); }
void PutBool(std::string* out, bool v) { PutU8(out, v ? 1 : 0); }

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s.data(), s.size());
}

template <size_t N>
void PutArray(std::string* out, const std::array<uint8_t, N>& a) {
  out->append(reinterpret_cast<const char*>(a.data()), a.size());
}

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

// Reads one message's fields in order. The first problem is kept as an
// InvalidArgument naming the message and the field; every later read then
// fails too, so decoders chain reads with && and check status() once.
class Reader {
 public:
  Reader(const char* message, std::string_view in)
      : message_(message), in_(in) {}

  size_t remaining() const { return in_.size() - pos_; }
  const absl::Status& status() const { return status_; }

  // Fields read after set_element(i) belong to the i-th element of a list
  // (an operation); errors then name it.
  void set_element(size_t i) { element_ = i; }
  void clear_element() { element_ = kNoElement; }

  bool Fail(absl::string_view field, absl::string_view problem) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(
          element_ == kNoElement
              ? absl::StrCat(message_, ": field ", field, ": ", problem)
              : absl::StrCat(message_, ": op ", element_, " field ", field,
                             ": ", problem));
    }
    return false;
  }

  bool Check(bool condition, absl::string_view field,
             absl::string_view problem) {
    return condition || Fail(field, problem);
  }

  bool Fixed(absl::string_view field, size_t bytes, uint64_t* v) {
    if (!status_.ok()) return false;
    if (remaining() < bytes) return Truncated(field, bytes);
    uint64_t r = 0;
    for (size_t i = 0; i < bytes; ++i) {
      r |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i]))
           << (8 * i);
    }
    pos_ += bytes;
    *v = r;
    return true;
  }

  bool U8(absl::string_view field, uint8_t* v) {
    uint64_t r;
    if (!Fixed(field, 1, &r)) return false;
    *v = static_cast<uint8_t>(r);
    return true;
  }
  bool U32(absl::string_view field, uint32_t* v) {
    uint64_t r;
    if (!Fixed(field, 4, &r)) return false;
    *v = static_cast<uint32_t>(r);
    return true;
  }
  bool U64(absl::string_view field, uint64_t* v) { return Fixed(field, 8, v); }

  // One byte, 0 or 1: anything else is refused so every value has one
  // encoding.
  bool Bool(absl::string_view field, bool* v) {
    uint8_t b;
    if (!U8(field, &b)) return false;
    if (b > 1)
      return Fail(field, absl::StrCat("boolean byte ", b, " is not 0 or 1"));
    *v = b == 1;
    return true;
  }

  bool Varint(absl::string_view field, uint64_t* v) {
    if (!status_.ok()) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < kMaxVarintSize; ++i) {
      if (pos_ >= in_.size()) {
        return Fail(field,
                    absl::StrCat("varint truncated after ", i, " bytes"));
      }
      const uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      if (i == kMaxVarintSize - 1 && b > 1) {
        return Fail(field, "varint overflows 64 bits");
      }
      r |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return Fail(field, "varint longer than 10 bytes");  // unreachable
  }

  // A varint length, at most `cap`, then that many bytes.
  bool Bytes(absl::string_view field, uint64_t cap, std::string* out) {
    uint64_t n;
    if (!Varint(field, &n)) return false;
    if (n > cap) {
      return Fail(field, absl::StrCat("length ", n, " over the cap ", cap));
    }
    if (n > remaining()) {
      return Fail(field, absl::StrCat("length ", n, " but only ", remaining(),
                                      " bytes remain"));
    }
    out->assign(in_.data() + pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }

  template <size_t N>
  bool Array(absl::string_view field, std::array<uint8_t, N>* out) {
    if (!status_.ok()) return false;
    if (remaining() < N) return Truncated(field, N);
    std::memcpy(out->data(), in_.data() + pos_, N);
    pos_ += N;
    return true;
  }

  // A varint element count, at most `cap` and at most what the remaining
  // bytes could hold at `min_element_size` each (so a reserve() of it is
  // bounded by the payload).
  bool Count(absl::string_view field, uint64_t cap, size_t min_element_size,
             size_t* out) {
    uint64_t n;
    if (!Varint(field, &n)) return false;
    if (n > cap) {
      return Fail(field, absl::StrCat("count ", n, " over the cap ", cap));
    }
    if (n > remaining() / min_element_size) {
      return Fail(field, absl::StrCat("count ", n, " needs at least ",
                                      n * min_element_size, " bytes but only ",
                                      remaining(), " remain"));
    }
    *out = static_cast<size_t>(n);
    return true;
  }

  // Every byte must have been read.
  bool Finish() {
    if (!status_.ok()) return false;
    if (remaining() != 0) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          message_, ": ", remaining(), " trailing bytes after the message"));
      return false;
    }
    return true;
  }

 private:
  bool Truncated(absl::string_view field, size_t bytes) {
    return Fail(field, absl::StrCat("needs ", bytes, " bytes but only ",
                                    remaining(), " remain"));
  }

  static constexpr size_t kNoElement = SIZE_MAX;

  const char* message_;
  std::string_view in_;
  size_t pos_ = 0;
  size_t element_ = kNoElement;
  absl::Status status_;
};

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
    r.set_element(i);
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
                              kMaxDigestBuckets)));
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
