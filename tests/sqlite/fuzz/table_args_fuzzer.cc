// Fuzzes the SQLite extension's parsers: the CREATE VIRTUAL TABLE argument
// parser (arguments are newline-separated in the input) and the row codec's
// decoders (the input's first line as a stored key and as a stored value).
// Both come from untrusted sources: a database file's schema, and store
// contents another program may have written.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/sqlite/row_codec.h"
#include "plugin/sqlite/table_args.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn::sqlite;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> args;
  for (size_t start = 0; start <= input.size();) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    args.push_back(input.substr(start, nl - start));
    start = nl + 1;
  }
  TableArgs parsed;
  std::string error;
  if (ParseTableArgs(args, &parsed, &error)) {
    if (parsed.path.empty()) __builtin_trap();  // path is required
  } else if (error.empty()) {
    __builtin_trap();  // a failure always explains itself
  }
  std::string_view first = args.front();
  if (auto key = DecodeKey(first)) {
    if (EncodeKey(key->type, key->bytes) != first) __builtin_trap();
  }
  if (auto value = DecodeValue(first)) {
    if (EncodeValue(*value) != first) __builtin_trap();
  }
  return 0;
}
