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

void AppendRecord(std::string* out, OpKind kind, const Version& version,
                  std::string_view value) {
  AppendHeader(out, static_cast<uint8_t>(kind), version);
  out->append(value);
}

void AppendOpEntry(std::string* out, OpKind kind, bool batch_continues,
                   const Version& version, std::string_view key) {
  uint8_t b = static_cast<uint8_t>(kind);
  if (batch_continues) b |= kOpFlagBatchContinues;
  AppendHeader(out, b, version);
  out->append(key);
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

absl::StatusOr<OpEntry> ParseOpEntry(uint64_t sequence,
                                     std::string_view encoded) {
  if (encoded.size() < kOpEntryHeaderSize + 1) {
    return CorruptionError(absl::StrCat("op-log entry ", sequence, " of ",
                                        encoded.size(), " bytes is too short"));
  }
  uint8_t b = static_cast<uint8_t>(encoded[0]);
  uint8_t kind = b & ~kOpFlagBatchContinues;
  if (!ValidKind(kind)) {
    return CorruptionError(absl::StrCat("op-log entry ", sequence,
                                        " has unknown kind ", kind));
  }
  OpEntry e;
  e.sequence = sequence;
  e.kind = static_cast<OpKind>(kind);
  e.batch_continues = (b & kOpFlagBatchContinues) != 0;
  e.version = DecodeVersion(encoded.data() + 1);
  e.key = std::string(encoded.substr(kOpEntryHeaderSize));
  return e;
}

}  // namespace cairn
