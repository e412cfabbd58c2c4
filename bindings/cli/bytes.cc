#include "bindings/cli/bytes.h"

#include "bindings/cli/cli.h"

namespace cairn::cli {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[noreturn]] void Malformed(const char* what, const std::string& arg,
                            const std::string& why) {
  throw CliError(kExitUsage, std::string(what) + " '" + arg + "': " + why);
}

}  // namespace

std::string Escape(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          out += "\\x";
          out += kHexDigits[c >> 4];
          out += kHexDigits[c & 15];
        }
    }
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHexDigits[c >> 4];
    out += kHexDigits[c & 15];
  }
  return out;
}

std::string Format(std::string_view bytes, BytesFormat format) {
  return format == BytesFormat::kHex ? ToHex(bytes) : Escape(bytes);
}

std::string Parse(const std::string& arg, BytesFormat format,
                  const char* what) {
  std::string out;
  if (format == BytesFormat::kHex) {
    if (arg.size() % 2 != 0) Malformed(what, arg, "odd number of hex digits");
    for (size_t i = 0; i < arg.size(); i += 2) {
      int hi = HexValue(arg[i]), lo = HexValue(arg[i + 1]);
      if (hi < 0 || lo < 0) {
        Malformed(what, arg, "not hex at offset " + std::to_string(i));
      }
      out += static_cast<char>(hi << 4 | lo);
    }
    return out;
  }
  for (size_t i = 0; i < arg.size(); ++i) {
    if (arg[i] != '\\') {
      out += arg[i];
      continue;
    }
    if (++i == arg.size()) Malformed(what, arg, "ends with a lone '\\'");
    switch (arg[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x': {
        int hi = i + 1 < arg.size() ? HexValue(arg[i + 1]) : -1;
        int lo = i + 2 < arg.size() ? HexValue(arg[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          Malformed(what, arg,
                    "\\x needs two hex digits (offset " +
                        std::to_string(i - 1) + ")");
        }
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
        break;
      }
      default:
        Malformed(what, arg,
                  std::string("unknown escape '\\") + arg[i] +
                      "' (use \\\\, \\t, \\n, \\r or \\xNN)");
    }
  }
  return out;
}

}  // namespace cairn::cli
