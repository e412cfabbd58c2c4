// Keys and values on the command line and in output. Cairn keys and values
// are arbitrary bytes; the tool shows them either escaped (printable ASCII
// as is, `\\`, `\t`, `\n`, `\r`, anything else `\xNN`) or as lowercase hex,
// and reads arguments the same two ways, so output can be pasted back.
#ifndef CAIRN_BINDINGS_CLI_BYTES_H_
#define CAIRN_BINDINGS_CLI_BYTES_H_

#include <string>
#include <string_view>

namespace cairn::cli {

enum class BytesFormat { kEscaped, kHex };

std::string Escape(std::string_view bytes);
std::string ToHex(std::string_view bytes);
std::string Format(std::string_view bytes, BytesFormat format);

// The bytes an argument stands for; throws CliError (usage) naming `what`
// and the argument when it is malformed (a bad escape, odd-length hex).
std::string Parse(const std::string& arg, BytesFormat format, const char* what);

}  // namespace cairn::cli

#endif  // CAIRN_BINDINGS_CLI_BYTES_H_
