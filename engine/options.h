// Options: how a database is configured, and the one table that names them.
//
// Options are set by name with a string value (the C ABI's
// cairn_options_set), so the table in options.cc is the single source of
// truth for every option's name, type, default, valid range and
// documentation. The README's option table, the "cairn.options" property and
// the C ABI all come from it.
//
// An Options value is a plain struct: copy it freely; it is not shared.
#ifndef CAIRN_ENGINE_OPTIONS_H_
#define CAIRN_ENGINE_OPTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/option_table.h"

namespace cairn {

struct Options {
  bool create_if_missing = false;
  bool error_if_exists = false;
  bool paranoid_checks = true;
  bool verify_checksums = true;
  uint64_t write_buffer_size = 4ull << 20;
  uint64_t max_open_files = 1000;
  uint64_t block_size = 4096;
  uint64_t block_cache_mb = 8;
  std::string compression = "snappy";
  uint64_t bloom_bits_per_key = 10;
  bool own_background_thread = true;
  uint64_t background_nice = 0;
  uint64_t max_key_size = 64ull << 10;
  uint64_t max_value_size = 64ull << 20;
  uint64_t max_batch_bytes = 256ull << 20;
  uint64_t node_id = 0;
  uint64_t cache_capacity_mb = 64;
  uint64_t cache_instances = 4;
  uint64_t cache_max_item_size = 64ull << 10;
  uint64_t cache_ttl_ms = 0;
  uint64_t cache_lock_timeout_ms = 1000;
  std::string cache_write_policy = "update";
  std::string cache_admission = "always";
  uint64_t migration_rate_items_per_sec = 100000;
  uint64_t oplog_retain_ops = 10000;
};

using OptionSpec = OptionSpecFor<Options>;

// Every option, in documentation order.
absl::Span<const OptionSpec> OptionTable();

// Sets `name` to `value`. Unknown names and bad values are
// InvalidArgument naming the option and the value; *options is then
// unchanged.
[[nodiscard]] absl::Status SetOption(Options* options, std::string_view name,
                                     std::string_view value);

// The canonical string form of an option's current value.
[[nodiscard]] absl::StatusOr<std::string> GetOption(const Options& options,
                                                    std::string_view name);

// {"name": value, ...} with JSON types (bool, number, string).
std::string OptionsToJson(const Options& options);

// The README's option table (Markdown).
std::string OptionsMarkdownTable();

}  // namespace cairn

#endif  // CAIRN_ENGINE_OPTIONS_H_
