#include "cluster/audit_record_codec.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace cairn::cluster {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

void PutLittleEndian64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

// Reads from a value it does not trust: every getter checks the bytes left
// and records the first failure, naming the field.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool done() const { return in_.empty(); }
  size_t left() const { return in_.size(); }

  uint8_t Byte(const char* field) {
    if (!Need(1, field)) return 0;
    uint8_t v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  uint64_t Fixed64(const char* field) {
    if (!Need(8, field)) return 0;
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(8);
    return v;
  }
  uint64_t Varint64(const char* field) {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (!Need(1, field)) return 0;
      uint8_t b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      if (shift == 63 && b > 1) break;  // more than 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    Fail(field, "varint longer than 64 bits");
    return 0;
  }
  std::string String(const char* field) {
    uint64_t n = Varint64(field);
    if (!ok()) return {};
    if (n > in_.size()) {
      Fail(field, absl::StrCat("length ", n, " exceeds the ", in_.size(),
                               " bytes left"));
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }

 private:
  bool Need(size_t n, const char* field) {
    if (!ok()) return false;
    if (in_.size() < n) {
      Fail(field, absl::StrCat("needs ", n, " bytes, ", in_.size(), " left"));
      return false;
    }
    return true;
  }
  void Fail(const char* field, const std::string& why) {
    if (ok()) error_ = absl::StrCat(field, ": ", why);
  }

  std::string_view in_;
  std::string error_;
};

AuditKey ParseKeyTail(std::string_view tail) {
  return AuditKey{static_cast<int64_t>(GetBigEndian64(tail) ^ kSignBit),
                  GetBigEndian64(tail.substr(8))};
}

}  // namespace

int64_t AuditMicros(absl::Time t) { return absl::ToUnixMicros(t); }

std::string AuditRecordKey(int64_t start_us, uint64_t seq) {
  std::string key(1, kAuditRecordPrefix);
  PutBigEndian64(&key, static_cast<uint64_t>(start_us) ^ kSignBit);
  PutBigEndian64(&key, seq);
  return key;
}

std::string AuditIndexPrefix(std::string_view method) {
  std::string key(1, kAuditIndexPrefix);
  key.push_back(static_cast<char>(method.size()));
  key.append(method);
  return key;
}

std::string AuditIndexKey(std::string_view method, int64_t start_us,
                          uint64_t seq) {
  std::string key = AuditIndexPrefix(method);
  PutBigEndian64(&key, static_cast<uint64_t>(start_us) ^ kSignBit);
  PutBigEndian64(&key, seq);
  return key;
}

absl::StatusOr<AuditKey> ParseAuditRecordKey(std::string_view key) {
  if (key.size() != 17 || key[0] != kAuditRecordPrefix) {
    return absl::DataLossError(absl::StrCat(
        "audit log: malformed record key ", AuditKeyForMessage(key)));
  }
  return ParseKeyTail(key.substr(1));
}

absl::StatusOr<AuditKey> ParseAuditIndexKey(std::string_view method,
                                            std::string_view key) {
  const std::string prefix = AuditIndexPrefix(method);
  if (key.size() != prefix.size() + 16 ||
      key.substr(0, prefix.size()) != prefix) {
    return absl::DataLossError(absl::StrCat(
        "audit log: malformed index key ", AuditKeyForMessage(key)));
  }
  return ParseKeyTail(key.substr(prefix.size()));
}

void EncodeAuditRecord(const AuditRecord& record, std::string* out) {
  out->push_back(static_cast<char>(kAuditRecordVersion));
  PutLittleEndian64(out, static_cast<uint64_t>(AuditMicros(record.start)));
  PutLittleEndian64(out, static_cast<uint64_t>(AuditMicros(record.end)));
  const uint64_t shard = static_cast<uint64_t>(record.shard);
  PutVarint64(out, (shard << 1) ^ (record.shard < 0 ? ~uint64_t{0} : 0));
  PutVarint64(out, record.node);
  PutString(out, record.client_id);
  PutString(out, record.client_address);
  PutString(out, record.method);
  PutString(out, record.params);
  PutString(out, record.outcome);
  PutString(out, record.message);
}

absl::StatusOr<AuditRecord> DecodeAuditRecord(std::string_view value) {
  Reader in(value);
  AuditRecord r;
  const uint8_t version = in.Byte("version");
  if (in.ok() && version != kAuditRecordVersion) {
    return absl::DataLossError(absl::StrCat(
        "audit record: unknown version ", version, " (this build reads ",
        kAuditRecordVersion, ")"));
  }
  r.start = absl::FromUnixMicros(static_cast<int64_t>(in.Fixed64("start")));
  r.end = absl::FromUnixMicros(static_cast<int64_t>(in.Fixed64("end")));
  const uint64_t zigzag = in.Varint64("shard");
  r.shard = static_cast<int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
  const uint64_t node = in.Varint64("node");
  if (in.ok() && node > UINT32_MAX) {
    return absl::DataLossError(
        absl::StrCat("audit record: node ", node, " exceeds 32 bits"));
  }
  r.node = static_cast<uint32_t>(node);
  r.client_id = in.String("client_id");
  r.client_address = in.String("client_address");
  r.method = in.String("method");
  r.params = in.String("params");
  r.outcome = in.String("outcome");
  r.message = in.String("message");
  if (!in.ok()) {
    return absl::DataLossError(absl::StrCat("audit record: ", in.error()));
  }
  if (!in.done()) {
    return absl::DataLossError(absl::StrCat("audit record: ", in.left(),
                                            " trailing bytes"));
  }
  return r;
}

std::string AuditKeyForMessage(std::string_view key) {
  return absl::StrCat("'", absl::BytesToHexString(
                               absl::string_view(key.data(), key.size())),
                      "'");
}

std::string AuditRecordJson(const AuditRecord& record) {
  nlohmann::ordered_json j;
  j["start_us"] = AuditMicros(record.start);
  j["end_us"] = AuditMicros(record.end);
  j["elapsed_us"] = absl::ToInt64Microseconds(record.elapsed());
  j["client_id"] = record.client_id;
  j["client_address"] = record.client_address;
  j["method"] = record.method;
  j["params"] = record.params;
  j["shard"] = record.shard;
  j["node"] = record.node;
  j["outcome"] = record.outcome;
  j["message"] = record.message;
  // Client ids and messages come from the network: bytes that are not UTF-8
  // become U+FFFD rather than an exception.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace cairn::cluster
