// Row codec: how a row of a `cairn` SQLite virtual table is stored in Cairn.
//
// A native SQLite WITHOUT ROWID table keeps the storage class of every value
// and orders keys by class first (TEXT before BLOB) and by bytes second, so
// TEXT 'abc' and BLOB x'616263' are two different keys. To give the same
// answers, a stored key is one class tag followed by the key's bytes:
//
//   key   := 't' utf8-bytes      (TEXT)
//          | 'x' bytes           (BLOB)
//   value := 'n'                 (NULL)
//          | 'i' int64 as 8 bytes big-endian two's complement   (INTEGER)
//          | 'r' IEEE-754 double as 8 bytes big-endian          (REAL)
//          | 't' utf8-bytes | 'x' bytes                          (TEXT, BLOB)
//
// Because 't' < 'x', Cairn's bytewise key order is exactly SQLite's BINARY
// order over TEXT and BLOB keys. Keys beginning with '\0' hold table
// metadata (kFormatKey) and sort before every row. All functions are pure
// and thread-safe.
#ifndef CAIRN_PLUGIN_SQLITE_ROW_CODEC_H_
#define CAIRN_PLUGIN_SQLITE_ROW_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn::sqlite {

// SQLite's storage classes, numbered as SQLITE_INTEGER .. SQLITE_NULL.
enum class SqlType { kInteger = 1, kReal = 2, kText = 3, kBlob = 4, kNull = 5 };

inline constexpr char kTextTag = 't';
inline constexpr char kBlobTag = 'x';
// First key byte of every row; the metadata keys sort below it.
inline constexpr std::string_view kFirstRowKey = "t";
// Marks a store as holding a `cairn` SQLite table; the value names the row
// format (empty: this format). One byte of key and none of value, so that
// it fits any max_key_size / max_value_size a user may choose.
inline constexpr std::string_view kFormatKey{"\0", 1};
inline constexpr std::string_view kFormatValue = "";

// A decoded value: `type` plus, for TEXT and BLOB, `bytes`.
struct SqlValue {
  SqlType type = SqlType::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string_view bytes;  // borrowed from the encoded input
};

// Keys: only TEXT and BLOB are keys (`type` must be one of them).
std::string EncodeKey(SqlType type, std::string_view bytes);
// EncodeKey appended to *out (many keys in one buffer).
void AppendKey(SqlType type, std::string_view bytes, std::string* out);
// Returns nullopt when `stored` is not a row key (empty or unknown tag).
std::optional<SqlValue> DecodeKey(std::string_view stored);

std::string EncodeValue(const SqlValue& value);
// Returns nullopt when `stored` is malformed (unknown tag, wrong length).
std::optional<SqlValue> DecodeValue(std::string_view stored);

// The immediate successor of `key` in bytewise order (key + '\0'): turns
// `> k` into `>= Successor(k)` and `<= k` into `< Successor(k)`.
std::string Successor(std::string_view key);

const char* SqlTypeName(SqlType type);

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_ROW_CODEC_H_
