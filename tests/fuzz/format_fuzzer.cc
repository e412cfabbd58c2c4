// Fuzzes the parsers of stored records and op-log entries (RELIABILITY B3):
// any input is either rejected with DataLoss or parsed into a value that
// re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<cairn::RecordView> r = cairn::ParseRecord(in);
  if (r.ok()) {
    std::string again;
    cairn::AppendRecord(&again, r->kind, r->version, r->value);
    if (again != in) abort();
  } else if (r.status().code() != absl::StatusCode::kDataLoss) {
    abort();
  }

  std::vector<cairn::OpEntry> ops;
  absl::Status st = cairn::ParseOpBatch(1, in, 0, SIZE_MAX, &ops);
  if (st.ok()) {
    std::string again;
    cairn::OpBatchWriter w(&again, static_cast<uint32_t>(ops.size()));
    for (const cairn::OpEntry& e : ops) w.Add(e.kind, e.version, e.key);
    // Varints have one canonical form here, so a valid batch re-encodes
    // byte for byte unless its varints were padded; then it must still
    // parse to the same operations.
    std::vector<cairn::OpEntry> again_ops;
    if (!cairn::ParseOpBatch(1, again, 0, SIZE_MAX, &again_ops).ok() ||
        again_ops.size() != ops.size()) {
      abort();
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      if (again_ops[i].key != ops[i].key ||
          again_ops[i].version != ops[i].version) {
        abort();
      }
    }
  } else if (st.code() != absl::StatusCode::kDataLoss || !ops.empty()) {
    abort();
  }

  absl::StatusOr<uint64_t> seq = cairn::ParseOpLogKey(in);
  if (seq.ok() && cairn::OpLogKey(*seq) != in) abort();
  return 0;
}
