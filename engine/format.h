// Format: how Cairn lays its data out inside one LevelDB database.
//
// Everything durable lives in one LevelDB so that a record and its op-log
// entry commit in one atomic batch. Key spaces are separated by a one-byte
// prefix:
//
//   'd' user_key            -> Record:  kind(1) hlc(8) node(4) value(...)
//   'o' seq(8, big endian)  -> OpEntry: kind|flags(1) hlc(8) node(4) key(...)
//   'm' name                -> metadata (node id, op-log trim point, ...)
//
// Integers inside values are little endian. Deletes are records of kind
// kDelete with an empty value: versioned tombstones. Op-log entries do not
// carry the value: a sender reads it from the record, keeping a put's extra
// write small.
//
// The parsers treat their input as untrusted (a damaged file, a peer) and
// return DataLoss for anything malformed; they are fuzzed.
#ifndef CAIRN_ENGINE_FORMAT_H_
#define CAIRN_ENGINE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/version.h"

namespace cairn {

enum class OpKind : uint8_t { kPut = 1, kDelete = 2 };

inline constexpr char kDataPrefix = 'd';
inline constexpr char kOpLogPrefix = 'o';
inline constexpr char kMetaPrefix = 'm';
inline constexpr size_t kRecordHeaderSize = 13;
inline constexpr size_t kOpEntryHeaderSize = 13;

// Set on every op-log entry of a batch except its last, so a consumer can
// apply a batch atomically.
inline constexpr uint8_t kOpFlagBatchContinues = 0x80;

struct RecordView {
  OpKind kind;
  Version version;
  std::string_view value;  // points into the parsed buffer
};

struct OpEntry {
  uint64_t sequence = 0;
  OpKind kind = OpKind::kPut;
  bool batch_continues = false;
  Version version;
  std::string key;
};

std::string DataKey(std::string_view user_key);
std::string OpLogKey(uint64_t sequence);
std::string MetaKey(std::string_view name);

void AppendDataKey(std::string* out, std::string_view user_key);
void AppendRecord(std::string* out, OpKind kind, const Version& version,
                  std::string_view value);
void AppendOpEntry(std::string* out, OpKind kind, bool batch_continues,
                   const Version& version, std::string_view key);

absl::StatusOr<RecordView> ParseRecord(std::string_view encoded);
absl::StatusOr<uint64_t> ParseOpLogKey(std::string_view encoded);
absl::StatusOr<OpEntry> ParseOpEntry(uint64_t sequence,
                                     std::string_view encoded);

void PutFixed64(std::string* out, uint64_t v);
uint64_t DecodeFixed64(const char* p);

}  // namespace cairn

#endif  // CAIRN_ENGINE_FORMAT_H_
