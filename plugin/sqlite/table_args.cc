#include "plugin/sqlite/table_args.h"

#include <cctype>
#include <set>

namespace cairn::sqlite {
namespace {

std::string_view Trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

// Removes SQL quoting: 'x''y', "x""y", `x``y` and [x]. Returns false for an
// unterminated or malformed quote.
bool Unquote(std::string_view in, std::string* out) {
  out->clear();
  if (in.empty()) return true;
  char open = in.front();
  char close = open;
  if (open == '[') close = ']';
  if (open != '\'' && open != '"' && open != '`' && open != '[') {
    out->assign(in);
    return true;
  }
  if (in.size() < 2 || in.back() != close) return false;
  std::string_view body = in.substr(1, in.size() - 2);
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == close && open != '[') {
      // A quote inside must be doubled.
      if (i + 1 >= body.size() || body[i + 1] != close) return false;
      ++i;
    }
    out->push_back(c);
  }
  return true;
}

// The spellings Cairn's own boolean options accept.
bool ParseBool(std::string_view v, bool* out) {
  std::string lower(v);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto t : {"1", "true", "on", "yes"}) {
    if (lower == t) return *out = true, true;
  }
  for (auto f : {"0", "false", "off", "no"}) {
    if (lower == f) return *out = false, true;
  }
  return false;
}

}  // namespace

bool ParseNameValue(std::string_view arg, std::string* name, std::string* value,
                    std::string* error) {
  std::string_view trimmed = Trim(arg);
  // The name ends at the first '=' outside quotes.
  size_t eq = std::string_view::npos;
  char quote = 0;
  for (size_t i = 0; i < trimmed.size(); ++i) {
    char c = trimmed[i];
    if (quote) {
      if (c == quote || (quote == '[' && c == ']')) quote = 0;
    } else if (c == '\'' || c == '"' || c == '`' || c == '[') {
      quote = c;
    } else if (c == '=') {
      eq = i;
      break;
    }
  }
  if (eq == std::string_view::npos) {
    *error = "cairn: argument '" + std::string(trimmed) +
             "' is not name=value (e.g. path='/data/kv')";
    return false;
  }
  std::string_view raw_name = Trim(trimmed.substr(0, eq));
  std::string_view raw_value = Trim(trimmed.substr(eq + 1));
  if (!Unquote(raw_name, name) || name->empty()) {
    *error = "cairn: argument '" + std::string(trimmed) +
             "' has an empty or badly quoted name";
    return false;
  }
  if (!Unquote(raw_value, value)) {
    *error = "cairn: argument '" + *name + "' has a badly quoted value " +
             std::string(raw_value);
    return false;
  }
  return true;
}

bool ParseTableArgs(const std::vector<std::string_view>& args, TableArgs* out,
                    std::string* error) {
  *out = TableArgs{};
  std::set<std::string> seen;
  bool have_path = false;
  for (std::string_view arg : args) {
    std::string name, value;
    if (!ParseNameValue(arg, &name, &value, error)) return false;
    if (name.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      *error = "cairn: argument '" + std::string(arg.substr(0, 40)) +
               "' contains a NUL byte";
      return false;
    }
    if (!seen.insert(name).second) {
      *error = "cairn: argument '" + name + "' is given twice";
      return false;
    }
    if (name == "path") {
      if (value.empty()) {
        *error = "cairn: argument 'path' is empty";
        return false;
      }
      out->path = value;
      have_path = true;
    } else if (name == "sync") {
      if (!ParseBool(value, &out->sync)) {
        *error = "cairn: argument 'sync': expected 0 or 1, got '" + value + "'";
        return false;
      }
    } else {
      out->options.emplace_back(std::move(name), std::move(value));
    }
  }
  if (!have_path) {
    *error =
        "cairn: missing required argument 'path' (the Cairn store's "
        "directory), e.g. USING cairn(path='/data/kv', create_if_missing=1)";
    return false;
  }
  return true;
}

}  // namespace cairn::sqlite
