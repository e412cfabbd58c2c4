// Format: how Cairn lays its data out inside one LevelDB database.
//
// Everything durable lives in one LevelDB so that a record and its op-log
// entry commit in one atomic batch. Key spaces are separated by a one-byte
// prefix:
//
//   'd' user_key            -> Record: kind(1) hlc(8) node(4) value(...)
//   'o' first_seq(8, big endian)
//                           -> OpBatch: format(1)=1 count(varint32), then
//                              per operation: kind(1) hlc(8) node(4)
//                              key_len(varint32) key
//                              Format 2 (a batch received from a peer) adds
//                              source(4) after the count: the node it came
//                              from, so a relay never sends it back.
//   'm' name                -> metadata (node id, op-log trim point, ...)
//
// Integers inside values are little endian. Deletes are records of kind
// kDelete with an empty value: versioned tombstones. One op-log value holds
// every operation of one atomic batch, with consecutive sequence numbers
// from first_seq: a batch costs LevelDB one extra entry, not one per
// operation. Op-log entries do not carry values: a sender reads them from
// the records, keeping a put's extra write small.
//
// The parsers treat their input as untrusted (a damaged file, a peer) and
// return DataLoss for anything malformed; they are fuzzed.
#ifndef CAIRN_ENGINE_FORMAT_H_
#define CAIRN_ENGINE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/version.h"

namespace cairn {

enum class OpKind : uint8_t { kPut = 1, kDelete = 2 };

inline constexpr char kDataPrefix = 'd';
inline constexpr char kOpLogPrefix = 'o';
inline constexpr char kMetaPrefix = 'm';
inline constexpr size_t kRecordHeaderSize = 13;
inline constexpr uint8_t kOpBatchFormat = 1;
inline constexpr uint8_t kOpBatchFormatWithSource = 2;

struct RecordView {
  OpKind kind;
  Version version;
  std::string_view value;  // points into the parsed buffer
};

// One operation of the op log, as consumers see it.
struct OpEntry {
  uint64_t sequence = 0;
  OpKind kind = OpKind::kPut;
  // True on every operation of a batch except its last, so a consumer can
  // apply a batch atomically.
  bool batch_continues = false;
  Version version;
  std::string key;
  // The peer the batch was received from; 0 for a write made on this node.
  uint32_t source = 0;
};

// Encodes the op-log value of one batch, operation by operation.
class OpBatchWriter {
 public:
  // `source`: the peer the batch came from, 0 for a local write (format 1).
  OpBatchWriter(std::string* out, uint32_t count, uint32_t source = 0);
  void Add(OpKind kind, const Version& version, std::string_view key);

 private:
  std::string* out_;
};

std::string DataKey(std::string_view user_key);
std::string OpLogKey(uint64_t sequence);
std::string MetaKey(std::string_view name);
// Metadata that callers of Db::PutMetadata name (peer cursors...): a
// sub-namespace ("ext.") apart from the engine's own metadata.
std::string ExternalMetaKey(std::string_view name);

void AppendDataKey(std::string* out, std::string_view user_key);
void AppendRecord(std::string* out, OpKind kind, const Version& version,
                  std::string_view value);

[[nodiscard]] absl::StatusOr<RecordView> ParseRecord(std::string_view encoded);
[[nodiscard]] absl::StatusOr<uint64_t> ParseOpLogKey(std::string_view encoded);
// Appends the operations of the batch stored at `first_sequence` whose
// sequence is >= `from` to *out, at most `max` of them. DataLoss if the
// value is malformed (nothing is appended then).
[[nodiscard]] absl::Status ParseOpBatch(uint64_t first_sequence,
                                        std::string_view encoded, uint64_t from,
                                        size_t max, std::vector<OpEntry>* out);
// The number of operations in an encoded batch (checks only the header).
[[nodiscard]] absl::StatusOr<uint32_t> OpBatchCount(std::string_view encoded);

struct OpBatchHeader {
  uint32_t count = 0;
  uint32_t source = 0;
  size_t size = 0;  // bytes of the header
};
// Parses the header of an encoded batch; DataLoss if malformed.
[[nodiscard]] absl::StatusOr<OpBatchHeader> ParseOpBatchHeader(
    std::string_view encoded);

void PutFixed64(std::string* out, uint64_t v);
uint64_t DecodeFixed64(const char* p);

}  // namespace cairn

#endif  // CAIRN_ENGINE_FORMAT_H_
