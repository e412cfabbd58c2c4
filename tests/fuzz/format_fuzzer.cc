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

  absl::StatusOr<cairn::OpEntry> e = cairn::ParseOpEntry(1, in);
  if (e.ok()) {
    std::string again;
    cairn::AppendOpEntry(&again, e->kind, e->batch_continues, e->version,
                         e->key);
    if (again != in) abort();
  } else if (e.status().code() != absl::StatusCode::kDataLoss) {
    abort();
  }

  absl::StatusOr<uint64_t> seq = cairn::ParseOpLogKey(in);
  if (seq.ok() && cairn::OpLogKey(*seq) != in) abort();
  return 0;
}
