#include "plugin/sqlite/row_codec.h"

#include <cstring>

namespace cairn::sqlite {
namespace {

void PutBigEndian64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

std::string EncodeKey(SqlType type, std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 1);
  AppendKey(type, bytes, &out);
  return out;
}

void AppendKey(SqlType type, std::string_view bytes, std::string* out) {
  out->push_back(type == SqlType::kText ? kTextTag : kBlobTag);
  out->append(bytes);
}

std::optional<SqlValue> DecodeKey(std::string_view stored) {
  if (stored.empty()) return std::nullopt;
  SqlValue v;
  if (stored[0] == kTextTag) {
    v.type = SqlType::kText;
  } else if (stored[0] == kBlobTag) {
    v.type = SqlType::kBlob;
  } else {
    return std::nullopt;
  }
  v.bytes = stored.substr(1);
  return v;
}

std::string EncodeValue(const SqlValue& value) {
  std::string out;
  switch (value.type) {
    case SqlType::kNull:
      out.push_back('n');
      break;
    case SqlType::kInteger:
      out.push_back('i');
      PutBigEndian64(&out, static_cast<uint64_t>(value.integer));
      break;
    case SqlType::kReal: {
      out.push_back('r');
      uint64_t bits;
      static_assert(sizeof(bits) == sizeof(value.real));
      std::memcpy(&bits, &value.real, sizeof(bits));
      PutBigEndian64(&out, bits);
      break;
    }
    case SqlType::kText:
    case SqlType::kBlob:
      out.reserve(value.bytes.size() + 1);
      out.push_back(value.type == SqlType::kText ? kTextTag : kBlobTag);
      out.append(value.bytes);
      break;
  }
  return out;
}

std::optional<SqlValue> DecodeValue(std::string_view stored) {
  if (stored.empty()) return std::nullopt;
  SqlValue v;
  std::string_view rest = stored.substr(1);
  switch (stored[0]) {
    case 'n':
      if (!rest.empty()) return std::nullopt;
      v.type = SqlType::kNull;
      return v;
    case 'i':
      if (rest.size() != 8) return std::nullopt;
      v.type = SqlType::kInteger;
      v.integer = static_cast<int64_t>(GetBigEndian64(rest));
      return v;
    case 'r': {
      if (rest.size() != 8) return std::nullopt;
      v.type = SqlType::kReal;
      uint64_t bits = GetBigEndian64(rest);
      std::memcpy(&v.real, &bits, sizeof(bits));
      return v;
    }
    case kTextTag:
      v.type = SqlType::kText;
      v.bytes = rest;
      return v;
    case kBlobTag:
      v.type = SqlType::kBlob;
      v.bytes = rest;
      return v;
    default:
      return std::nullopt;
  }
}

std::string Successor(std::string_view key) {
  std::string out(key);
  out.push_back('\0');
  return out;
}

const char* SqlTypeName(SqlType type) {
  switch (type) {
    case SqlType::kInteger:
      return "INTEGER";
    case SqlType::kReal:
      return "REAL";
    case SqlType::kText:
      return "TEXT";
    case SqlType::kBlob:
      return "BLOB";
    case SqlType::kNull:
      return "NULL";
  }
  return "?";
}

}  // namespace cairn::sqlite
