// OptionTable: the machinery behind a layer's table of named options.
//
// Each layer (the engine here, replication in replication/options.h) owns a
// plain options struct and one static table of OptionSpecFor<ThatStruct>
// naming every field: its name, type, default, valid range and doc. The
// functions below set and read options by name, render them as JSON and as
// the README's Markdown table, so the table alone drives code, docs and
// error messages. Unknown names and bad values are InvalidArgument naming
// the option and the value; the struct is then unchanged.
//
// Stateless; thread-safe.
#ifndef CAIRN_ENGINE_OPTION_TABLE_H_
#define CAIRN_ENGINE_OPTION_TABLE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "nlohmann/json.hpp"

namespace cairn {

// kString: free text, at most `max` bytes (validated by the layer that
// uses it, e.g. a peer list).
enum class OptionType { kBool, kUint, kEnum, kString };

template <typename O>
struct OptionSpecFor {
  std::string_view name;
  OptionType type;
  std::variant<bool O::*, uint64_t O::*, std::string O::*> field;
  std::string_view default_value;
  std::string_view doc;
  uint64_t min = 0;           // kUint only
  uint64_t max = UINT64_MAX;  // kUint; kString: the longest value
  std::string_view choices;   // kEnum only: "a|b|c"
};

namespace option_internal {

// Parses `value` for an option of `type` into the three possible forms;
// `expected` names what was wanted when it fails.
struct Parsed {
  bool b = false;
  uint64_t n = 0;
};
[[nodiscard]] absl::Status ParseValue(OptionType type, std::string_view name,
                                      std::string_view value, uint64_t min,
                                      uint64_t max, std::string_view choices,
                                      Parsed* out);
[[nodiscard]] absl::Status UnknownOption(std::string_view name);
std::string MarkdownRow(std::string_view name, OptionType type, uint64_t min,
                        uint64_t max, std::string_view choices,
                        std::string_view default_value, std::string_view doc);

template <typename O>
const OptionSpecFor<O>* Find(absl::Span<const OptionSpecFor<O>> table,
                             std::string_view name) {
  for (const OptionSpecFor<O>& spec : table) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace option_internal

template <typename O>
[[nodiscard]] absl::Status SetOptionIn(absl::Span<const OptionSpecFor<O>> table,
                                       O* options, std::string_view name,
                                       std::string_view value) {
  const OptionSpecFor<O>* spec = option_internal::Find(table, name);
  if (spec == nullptr) return option_internal::UnknownOption(name);
  option_internal::Parsed p;
  if (absl::Status s = option_internal::ParseValue(
          spec->type, name, value, spec->min, spec->max, spec->choices, &p);
      !s.ok()) {
    return s;
  }
  switch (spec->type) {
    case OptionType::kBool:
      options->*std::get<bool O::*>(spec->field) = p.b;
      break;
    case OptionType::kUint:
      options->*std::get<uint64_t O::*>(spec->field) = p.n;
      break;
    case OptionType::kEnum:
    case OptionType::kString:
      options->*std::get<std::string O::*>(spec->field) = std::string(value);
      break;
  }
  return absl::OkStatus();
}

template <typename O>
[[nodiscard]] absl::StatusOr<std::string> GetOptionIn(
    absl::Span<const OptionSpecFor<O>> table, const O& options,
    std::string_view name) {
  const OptionSpecFor<O>* spec = option_internal::Find(table, name);
  if (spec == nullptr) return option_internal::UnknownOption(name);
  switch (spec->type) {
    case OptionType::kBool:
      return std::string(options.*std::get<bool O::*>(spec->field) ? "true"
                                                                   : "false");
    case OptionType::kUint:
      return absl::StrCat(options.*std::get<uint64_t O::*>(spec->field));
    case OptionType::kEnum:
    case OptionType::kString:
      return options.*std::get<std::string O::*>(spec->field);
  }
  return absl::InternalError("bad option table");
}

// Adds {"name": value, ...} with JSON types to *out.
template <typename O>
void OptionsToJsonIn(absl::Span<const OptionSpecFor<O>> table, const O& options,
                     nlohmann::ordered_json* out) {
  for (const OptionSpecFor<O>& spec : table) {
    std::string key(spec.name);
    switch (spec.type) {
      case OptionType::kBool:
        (*out)[key] = options.*std::get<bool O::*>(spec.field);
        break;
      case OptionType::kUint:
        (*out)[key] = options.*std::get<uint64_t O::*>(spec.field);
        break;
      case OptionType::kEnum:
      case OptionType::kString:
        (*out)[key] = options.*std::get<std::string O::*>(spec.field);
        break;
    }
  }
}

// The Markdown rows of a table (no header).
template <typename O>
std::string MarkdownRowsIn(absl::Span<const OptionSpecFor<O>> table) {
  std::string out;
  for (const OptionSpecFor<O>& spec : table) {
    out += option_internal::MarkdownRow(spec.name, spec.type, spec.min,
                                        spec.max, spec.choices,
                                        spec.default_value, spec.doc);
  }
  return out;
}

// The header every option table in the README has.
inline constexpr std::string_view kOptionsMarkdownHeader =
    "| option | type | default | description |\n|---|---|---|---|\n";

// The header and the rows.
template <typename O>
std::string MarkdownTableIn(absl::Span<const OptionSpecFor<O>> table) {
  return std::string(kOptionsMarkdownHeader) + MarkdownRowsIn(table);
}

}  // namespace cairn

#endif  // CAIRN_ENGINE_OPTION_TABLE_H_
