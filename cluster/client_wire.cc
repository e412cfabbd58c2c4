// The client protocol's payload codecs (client_wire.h).
//
// Integers are little-endian fixed width unless marked varint (LEB128, at
// most 10 bytes); strings are a varint length then the bytes; booleans one
// byte, 0 or 1. Every field is always present, whatever the method, so a
// message has one encoding and a decoder has one path:
//
//   ClientRequest
//     id u64 | method u8 (1..kMaxMethod) | client_id bytes (<= 255)
//     | sync bool | ops varint count, each: is_delete bool, key bytes,
//     value bytes (empty for a delete) | scan_start bytes | scan_end bytes
//     | scan_limit u32 | failed_request_id u64 | failure_reason bytes
//     (<= 1024)
//   ClientReply
//     id u64 | code u32 (an absl::StatusCode, 0..16) | message bytes
//     (<= 4096) | found bool | value bytes | entries varint count, each:
//     key bytes, value bytes | scan_truncated bool
//     | status: node_id u32, capacity u64, cached_bytes u64, response_us
//     u64, serves bool, master u32, why bytes (<= 1024)
//
// Whether a request makes sense for its method (a get with one key, a scan
// limit above zero) is the service's to judge (client_service.h): the codec
// only guarantees a well-formed message within its caps.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "cluster/client_wire.h"
#include "replication/wire_codec.h"

namespace cairn::cluster {
namespace {

using replication::codec::PutBool;
using replication::codec::PutBytes;
using replication::codec::PutU32;
using replication::codec::PutU64;
using replication::codec::PutU8;
using replication::codec::PutVarint;
using replication::codec::Reader;

constexpr uint32_t kMaxStatusCode = 16;  // absl::StatusCode::kUnauthenticated
// The smallest encodings of a list element, for bounding counts: a batch op
// (is_delete and two one-byte lengths), a scan entry (two lengths).
constexpr size_t kMinOpSize = 3;
constexpr size_t kMinEntrySize = 2;

// ---- Encoding --------------------------------------------------------------

// The first field over its cap, as an InvalidArgument naming it.
class CapCheck {
 public:
  explicit CapCheck(const char* message) : message_(message) {}
  void Size(absl::string_view field, size_t size, uint64_t cap) {
    if (status_.ok() && size > cap) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          message_, ": field ", field, ": length ", size, " over the cap ",
          cap));
    }
  }
  void Fail(absl::string_view field, absl::string_view problem) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat(message_, ": field ", field, ": ", problem));
    }
  }
  const absl::Status& status() const { return status_; }

 private:
  const char* message_;
  absl::Status status_;
};

// ---- Decoding --------------------------------------------------------------

bool ReadOps(Reader& r, const ClientWireLimits& limits,
             std::vector<BatchOp>* ops) {
  size_t count;
  if (!r.Count("ops", limits.max_ops, kMinOpSize, &count)) return false;
  ops->reserve(count);
  for (size_t i = 0; i < count; ++i) {
    r.set_element("op", i);
    BatchOp& op = ops->emplace_back();
    if (!(r.Bool("is_delete", &op.is_delete) &&
          r.Bytes("key", limits.max_key_size, &op.key) &&
          r.Bytes("value", limits.max_value_size, &op.value) &&
          r.Check(!op.is_delete || op.value.empty(), "value",
                  absl::StrCat("a delete carries a value of ", op.value.size(),
                               " bytes")))) {
      return false;
    }
  }
  r.clear_element();
  return true;
}

bool ReadEntries(Reader& r, const ClientWireLimits& limits,
                 std::vector<std::pair<std::string, std::string>>* entries) {
  size_t count;
  if (!r.Count("entries", limits.max_entries, kMinEntrySize, &count)) {
    return false;
  }
  entries->reserve(count);
  for (size_t i = 0; i < count; ++i) {
    r.set_element("entry", i);
    auto& [key, value] = entries->emplace_back();
    if (!(r.Bytes("key", limits.max_key_size, &key) &&
          r.Bytes("value", limits.max_value_size, &value))) {
      return false;
    }
  }
  r.clear_element();
  return true;
}

}  // namespace

absl::Status EncodeRequest(const ClientRequest& m, std::string* out) {
  const ClientWireLimits limits;
  CapCheck cap("ClientRequest");
  const auto method = static_cast<uint8_t>(m.method);
  if (method < 1 || method > kMaxMethod) {
    cap.Fail("method", absl::StrCat("method ", method, " is unknown (1..",
                                    kMaxMethod, ")"));
  }
  cap.Size("client_id", m.client_id.size(), kMaxClientIdSize);
  cap.Size("ops", m.ops.size(), limits.max_ops);
  for (const BatchOp& op : m.ops) {
    cap.Size("key", op.key.size(), limits.max_key_size);
    cap.Size("value", op.value.size(), limits.max_value_size);
    if (op.is_delete && !op.value.empty()) {
      cap.Fail("value", "a delete carries a value");
    }
  }
  cap.Size("scan_start", m.scan_start.size(), limits.max_key_size);
  cap.Size("scan_end", m.scan_end.size(), limits.max_key_size);
  cap.Size("failure_reason", m.failure_reason.size(), kMaxFailureReasonSize);
  if (!cap.status().ok()) return cap.status();

  out->clear();
  PutU64(out, m.id);
  PutU8(out, method);
  PutBytes(out, m.client_id);
  PutBool(out, m.sync);
  PutVarint(out, m.ops.size());
  for (const BatchOp& op : m.ops) {
    PutBool(out, op.is_delete);
    PutBytes(out, op.key);
    PutBytes(out, op.value);
  }
  PutBytes(out, m.scan_start);
  PutBytes(out, m.scan_end);
  PutU32(out, m.scan_limit);
  PutU64(out, m.failed_request_id);
  PutBytes(out, m.failure_reason);
  return absl::OkStatus();
}

absl::Status EncodeReply(const ClientReply& m, std::string* out) {
  const ClientWireLimits limits;
  CapCheck cap("ClientReply");
  if (m.code > kMaxStatusCode) {
    cap.Fail("code", absl::StrCat("code ", m.code,
                                  " is not an absl::StatusCode (0..16)"));
  }
  cap.Size("message", m.message.size(), kMaxReplyMessageSize);
  cap.Size("value", m.value.size(), limits.max_value_size);
  cap.Size("entries", m.entries.size(), limits.max_entries);
  for (const auto& [key, value] : m.entries) {
    cap.Size("key", key.size(), limits.max_key_size);
    cap.Size("value", value.size(), limits.max_value_size);
  }
  cap.Size("status.why", m.status.why.size(), kMaxWhySize);
  if (!cap.status().ok()) return cap.status();

  out->clear();
  PutU64(out, m.id);
  PutU32(out, m.code);
  PutBytes(out, m.message);
  PutBool(out, m.found);
  PutBytes(out, m.value);
  PutVarint(out, m.entries.size());
  for (const auto& [key, value] : m.entries) {
    PutBytes(out, key);
    PutBytes(out, value);
  }
  PutBool(out, m.scan_truncated);
  const NodeStatus& s = m.status;
  PutU32(out, s.node_id);
  PutU64(out, s.capacity);
  PutU64(out, s.cached_bytes);
  PutU64(out, s.response_us);
  PutBool(out, s.serves);
  PutU32(out, s.master);
  PutBytes(out, s.why);
  return absl::OkStatus();
}

absl::StatusOr<ClientRequest> DecodeRequest(std::string_view payload) {
  return DecodeRequest(payload, ClientWireLimits());
}

absl::StatusOr<ClientRequest> DecodeRequest(std::string_view payload,
                                            const ClientWireLimits& limits) {
  Reader r("ClientRequest", payload);
  ClientRequest m;
  uint8_t method = 0;
  if (r.U64("id", &m.id) && r.U8("method", &method) &&
      r.Check(method >= 1 && method <= kMaxMethod, "method",
              absl::StrCat("method ", method, " is unknown (1..", kMaxMethod,
                           ")"))) {
    m.method = static_cast<Method>(method);
  }
  (void)(r.Bytes("client_id", kMaxClientIdSize, &m.client_id) &&
         r.Bool("sync", &m.sync) && ReadOps(r, limits, &m.ops) &&
         r.Bytes("scan_start", limits.max_key_size, &m.scan_start) &&
         r.Bytes("scan_end", limits.max_key_size, &m.scan_end) &&
         r.U32("scan_limit", &m.scan_limit) &&
         r.U64("failed_request_id", &m.failed_request_id) &&
         r.Bytes("failure_reason", kMaxFailureReasonSize,
                 &m.failure_reason));
  if (!r.Finish()) return r.status();
  return m;
}

absl::StatusOr<ClientReply> DecodeReply(std::string_view payload) {
  return DecodeReply(payload, ClientWireLimits());
}

absl::StatusOr<ClientReply> DecodeReply(std::string_view payload,
                                        const ClientWireLimits& limits) {
  Reader r("ClientReply", payload);
  ClientReply m;
  NodeStatus& s = m.status;
  (void)(r.U64("id", &m.id) && r.U32("code", &m.code) &&
         r.Check(m.code <= kMaxStatusCode, "code",
                 absl::StrCat("code ", m.code,
                              " is not an absl::StatusCode (0..16)")) &&
         r.Bytes("message", kMaxReplyMessageSize, &m.message) &&
         r.Bool("found", &m.found) &&
         r.Bytes("value", limits.max_value_size, &m.value) &&
         ReadEntries(r, limits, &m.entries) &&
         r.Bool("scan_truncated", &m.scan_truncated) &&
         r.U32("status.node_id", &s.node_id) &&
         r.U64("status.capacity", &s.capacity) &&
         r.U64("status.cached_bytes", &s.cached_bytes) &&
         r.U64("status.response_us", &s.response_us) &&
         r.Bool("status.serves", &s.serves) &&
         r.U32("status.master", &s.master) &&
         r.Bytes("status.why", kMaxWhySize, &s.why));
  if (!r.Finish()) return r.status();
  return m;
}

}  // namespace cairn::cluster
