// Fuzzes the decoder of the persisted cache ring layout (RELIABILITY B3):
// any input is rejected with DataLoss or decodes to a layout that encodes
// back to the same bytes. The checksum would stop almost every mutation at
// the door, so each input is also tried with a correct checksum appended:
// that is what reaches the structure parser.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/ring/layout.h"

namespace {

void Check(const std::string& in) {
  absl::StatusOr<cairn::ring::Layout> layout = cairn::ring::DecodeLayout(in);
  if (layout.ok()) {
    if (cairn::ring::EncodeLayout(*layout) != in) abort();
  } else if (layout.status().code() != absl::StatusCode::kDataLoss) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  Check(in);
  const uint64_t sum = XXH3_64bits(in.data(), in.size());
  for (int i = 0; i < 8; ++i) in.push_back(static_cast<char>(sum >> (8 * i)));
  Check(in);
  return 0;
}
