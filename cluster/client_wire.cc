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

namespace cairn::cluster {
namespace {

constexpr size_t kMaxVarintSize = 10;
constexpr uint32_t kMaxStatusCode = 16;  // absl::StatusCode::kUnauthenticated
// The smallest encodings of a list element, for bounding counts: a batch op
// (is_delete and two one-byte lengths), a scan entry (two lengths).
constexpr size_t kMinOpSize = 3;
constexpr size_t kMinEntrySize = 2;

// ---- Encoding --------------------------------------------------------------

void PutFixed(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out->push_back(static_cast<char>(v >> (8 * i)));
  }
}
void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
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

// Reads one message's fields in order (as replication/wire.cc's Reader).
// The first problem is kept as an InvalidArgument naming the message and the
// field; every later read then fails too, so decoders chain reads with &&
// and check status() once.
class Reader {
 public:
  Reader(const char* message, std::string_view in)
      : message_(message), in_(in) {}

  size_t remaining() const { return in_.size() - pos_; }
  const absl::Status& status() const { return status_; }

  // Fields read after set_element(list, i) belong to element i of `list`.
  void set_element(const char* list, size_t i) {
    list_ = list;
    element_ = i;
  }
  void clear_element() { list_ = nullptr; }

  bool Fail(absl::string_view field, absl::string_view problem) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(
          list_ == nullptr
              ? absl::StrCat(message_, ": field ", field, ": ", problem)
              : absl::StrCat(message_, ": ", list_, " ", element_, " field ",
                             field, ": ", problem));
    }
    return false;
  }

  bool Check(bool condition, absl::string_view field,
             absl::string_view problem) {
    return condition || Fail(field, problem);
  }

  bool Fixed(absl::string_view field, size_t bytes, uint64_t* v) {
    if (!status_.ok()) return false;
    if (remaining() < bytes) {
      return Fail(field, absl::StrCat("needs ", bytes, " bytes but only ",
                                      remaining(), " remain"));
    }
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

  bool Bool(absl::string_view field, bool* v) {
    uint8_t b;
    if (!U8(field, &b)) return false;
    if (b > 1) {
      return Fail(field, absl::StrCat("boolean byte ", b, " is not 0 or 1"));
    }
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

  // A varint count, at most `cap` and at most what the remaining bytes
  // could hold at `min_element_size` each (a reserve() of it is bounded by
  // the payload).
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
  const char* message_;
  std::string_view in_;
  size_t pos_ = 0;
  const char* list_ = nullptr;
  size_t element_ = 0;
  absl::Status status_;
};

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
