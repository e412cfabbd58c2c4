#include "engine/format.h"

#include "absl/strings/str_cat.h"
#include "engine/status.h"
#include "engine/strings.h"

namespace cairn {
namespace {

void PutFixed32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 4);
}

uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  }
  return v;
}

bool ValidKind(uint8_t k) {
  return k == static_cast<uint8_t>(OpKind::kPut) ||
         k == static_cast<uint8_t>(OpKind::kDelete);
}

Version DecodeVersion(const char* p) {
  return Version{DecodeFixed64(p), DecodeFixed32(p + 8)};
}

void AppendHeader(std::string* out, uint8_t kind_byte, const Version& v) {
  out->push_back(static_cast<char>(kind_byte));
  PutFixed64(out, v.hlc);
  PutFixed32(out, v.node);
}

}  // namespace

void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 8);
}

uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  }
  return v;
}

void AppendDataKey(std::string* out, std::string_view user_key) {
  out->push_back(kDataPrefix);
  out->append(user_key);
}

std::string DataKey(std::string_view user_key) {
  std::string k;
  k.reserve(user_key.size() + 1);
  AppendDataKey(&k, user_key);
  return k;
}

std::string OpLogKey(uint64_t sequence) {
  std::string k(9, '\0');
  k[0] = kOpLogPrefix;
  for (int i = 0; i < 8; ++i) {
    k[1 + i] = static_cast<char>(sequence >> (8 * (7 - i)));
  }
  return k;
}

std::string MetaKey(std::string_view name) {
  return absl::StrCat(absl::string_view(&kMetaPrefix, 1), AV(name));
}

std::string ExternalMetaKey(std::string_view name) {
  return absl::StrCat(absl::string_view(&kMetaPrefix, 1), "ext.", AV(name));
}

void AppendRecord(std::string* out, OpKind kind, const Version& version,
                  std::string_view value) {
  AppendHeader(out, static_cast<uint8_t>(kind), version);
  out->append(value);
}

namespace {

void PutVarint32(std::string* out, uint32_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint32 from the front of *in; false if truncated or too long.
bool GetVarint32(std::string_view* in, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    if (shift == 28 && byte > 0x0F) return false;  // beyond 32 bits
    result |= static_cast<uint32_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

}  // namespace

OpBatchWriter::OpBatchWriter(std::string* out, uint32_t count, uint32_t source)
    : out_(out) {
  out_->push_back(static_cast<char>(source == 0 ? kOpBatchFormat
                                                : kOpBatchFormatWithSource));
  PutVarint32(out_, count);
  if (source != 0) PutFixed32(out_, source);
}

void OpBatchWriter::Add(OpKind kind, const Version& version,
                        std::string_view key) {
  AppendHeader(out_, static_cast<uint8_t>(kind), version);
  PutVarint32(out_, static_cast<uint32_t>(key.size()));
  out_->append(key);
}

absl::StatusOr<OpBatchHeader> ParseOpBatchHeader(std::string_view encoded) {
  const uint8_t format = encoded.empty() ? 0 : static_cast<uint8_t>(encoded[0]);
  if (format != kOpBatchFormat && format != kOpBatchFormatWithSource) {
    return CorruptionError("op-log batch has an unknown format");
  }
  std::string_view in = encoded.substr(1);
  OpBatchHeader h;
  if (!GetVarint32(&in, &h.count) || h.count == 0) {
    return CorruptionError("op-log batch has a malformed count");
  }
  if (format == kOpBatchFormatWithSource) {
    if (in.size() < 4) return CorruptionError("op-log batch source truncated");
    h.source = DecodeFixed32(in.data());
    in.remove_prefix(4);
    if (h.source == 0) return CorruptionError("op-log batch source is 0");
  }
  h.size = encoded.size() - in.size();
  return h;
}

absl::StatusOr<uint32_t> OpBatchCount(std::string_view encoded) {
  absl::StatusOr<OpBatchHeader> h = ParseOpBatchHeader(encoded);
  if (!h.ok()) return h.status();
  return h->count;
}

absl::Status ParseOpBatch(uint64_t first_sequence, std::string_view encoded,
                          uint64_t from, size_t max,
                          std::vector<OpEntry>* out) {
  auto bad = [&](std::string_view what) {
    return CorruptionError(absl::StrCat("op-log batch at sequence ",
                                        first_sequence, ": ", AV(what)));
  };
  absl::StatusOr<OpBatchHeader> header = ParseOpBatchHeader(encoded);
  if (!header.ok()) return bad(SV(header.status().message()));
  const uint32_t count = header->count;
  if (first_sequence > UINT64_MAX - count) return bad("sequence overflows");
  std::string_view in = encoded.substr(header->size);
  const size_t start = out->size();
  for (uint32_t i = 0; i < count; ++i) {
    if (in.size() < kRecordHeaderSize) {
      out->resize(start);
      return bad("truncated operation");
    }
    uint8_t kind = static_cast<uint8_t>(in[0]);
    Version version = DecodeVersion(in.data() + 1);
    in.remove_prefix(kRecordHeaderSize);
    uint32_t key_len = 0;
    if (!ValidKind(kind) || !GetVarint32(&in, &key_len) || key_len == 0 ||
        key_len > in.size()) {
      out->resize(start);
      return bad("malformed operation");
    }
    std::string_view key = in.substr(0, key_len);
    in.remove_prefix(key_len);
    uint64_t seq = first_sequence + i;
    if (seq < from || out->size() - start >= max) continue;
    OpEntry e;
    e.sequence = seq;
    e.kind = static_cast<OpKind>(kind);
    e.batch_continues = i + 1 < count;
    e.version = version;
    e.key = std::string(key);
    e.source = header->source;
    out->push_back(std::move(e));
  }
  if (!in.empty()) {
    out->resize(start);
    return bad("trailing bytes");
  }
  return absl::OkStatus();
}

absl::StatusOr<RecordView> ParseRecord(std::string_view encoded) {
  if (encoded.size() < kRecordHeaderSize) {
    return CorruptionError(absl::StrCat("record of ", encoded.size(),
                                        " bytes is shorter than its header"));
  }
  uint8_t kind = static_cast<uint8_t>(encoded[0]);
  if (!ValidKind(kind)) {
    return CorruptionError(absl::StrCat("record has unknown kind ", kind));
  }
  RecordView r{static_cast<OpKind>(kind), DecodeVersion(encoded.data() + 1),
               encoded.substr(kRecordHeaderSize)};
  if (r.kind == OpKind::kDelete && !r.value.empty()) {
    return CorruptionError("tombstone record carries a value");
  }
  return r;
}

absl::StatusOr<uint64_t> ParseOpLogKey(std::string_view encoded) {
  if (encoded.size() != 9 || encoded[0] != kOpLogPrefix) {
    return CorruptionError(
        absl::StrCat("op-log key of ", encoded.size(), " bytes is malformed"));
  }
  uint64_t seq = 0;
  for (int i = 0; i < 8; ++i) {
    seq = (seq << 8) | static_cast<uint8_t>(encoded[1 + i]);
  }
  return seq;
}

}  // namespace cairn
