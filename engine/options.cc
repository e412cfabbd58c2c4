#include "engine/options.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "engine/strings.h"
#include "nlohmann/json.hpp"

namespace cairn {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

const OptionSpec kOptions[] = {
    {"create_if_missing", OptionType::kBool, &Options::create_if_missing,
     "false", "Create the database directory and files if missing."},
    {"error_if_exists", OptionType::kBool, &Options::error_if_exists, "false",
     "Fail the open if the database already exists."},
    {"paranoid_checks", OptionType::kBool, &Options::paranoid_checks, "true",
     "Fail on the first sign of corruption: a damaged write-ahead log or "
     "table index fails the open, and compactions verify every block they "
     "read so damage is never rewritten as good data. false skips damaged "
     "log records (losing them) instead."},
    {"verify_checksums", OptionType::kBool, &Options::verify_checksums, "true",
     "Verify LevelDB block checksums on every read and iteration unless the "
     "read options say otherwise. Costs a CRC32C per table block read from "
     "disk (not on block-cache or shared-memory cache hits)."},
    {"write_buffer_size", OptionType::kUint, &Options::write_buffer_size,
     "4194304",
     "Bytes of LevelDB memtable before it is written to a table file. A "
     "larger one takes bulk writes faster but flushes in longer bursts: "
     "16 MiB streamed 1000-record batches to a peer ~1.5x as fast, and "
     "raised replication lag p99 and 16 sync writers' latency (README, "
     "\"Performance: replication beside Redis\").",
     64 << 10, 1ull << 30},
    {"max_open_files", OptionType::kUint, &Options::max_open_files, "1000",
     "Table files LevelDB keeps open.", 64, 1 << 20},
    {"block_size", OptionType::kUint, &Options::block_size, "4096",
     "Uncompressed bytes per LevelDB table block.", 1024, 4 * kMiB},
    {"block_cache_mb", OptionType::kUint, &Options::block_cache_mb, "8",
     "MiB of LevelDB's in-process block cache (0 uses LevelDB's 8 MiB "
     "default).",
     0, 1 << 20},
    {"compression", OptionType::kEnum, &Options::compression, "snappy",
     "Table block compression.", 0, 0, "snappy|none"},
    {"bloom_bits_per_key", OptionType::kUint, &Options::bloom_bits_per_key,
     "10", "Bloom filter bits per key for table files (0 disables).", 0, 64},
    {"own_background_thread", OptionType::kBool,
     &Options::own_background_thread, "true",
     "Flush and compact this database on a thread of its own. false shares "
     "LevelDB's one background thread with every other database in the "
     "process (LevelDB's behaviour): busy databases then wait for each "
     "other's compactions, and their writers for level 0 to drain."},
    {"background_nice", OptionType::kUint, &Options::background_nice, "0",
     "How much lower (nice) than the opening thread this database's "
     "flushes and compactions run, on its own background thread (refused "
     "when own_background_thread is false). On busy cores writers, readers "
     "and replication then run first and compactions use "
     "what is left, so they fall behind under bulk writes and LevelDB's "
     "level-0 limits slow the writers later. 10 halved replication lag and "
     "slowed a bulk stream to a peer by a third (README, \"Performance: "
     "replication beside Redis\"). 0: the same priority.",
     0, 19},
    {"max_key_size", OptionType::kUint, &Options::max_key_size, "65536",
     "Largest key accepted, in bytes; longer keys are rejected.", 1, 16 * kMiB},
    {"max_value_size", OptionType::kUint, &Options::max_value_size, "67108864",
     "Largest value accepted, in bytes; larger values are rejected.", 0,
     1ull << 30},
    {"max_batch_bytes", OptionType::kUint, &Options::max_batch_bytes,
     "268435456", "Largest write batch accepted (sum of key and value bytes).",
     1, 4ull << 30},
    {"node_id", OptionType::kUint, &Options::node_id, "0",
     "This node's id in record versions (0: generated when the database is "
     "created, then persisted).",
     0, UINT32_MAX},
    {"cache.capacity_mb", OptionType::kUint, &Options::cache_capacity_mb, "64",
     "MiB of shared-memory cache, split evenly over cache.instances (0 "
     "disables the cache).",
     0, 1 << 20},
    {"cache.instances", OptionType::kUint, &Options::cache_instances, "4",
     "Cache instances, each its own shared-memory segment; keys are spread "
     "over them by hash.",
     1, 256},
    {"cache.max_item_size", OptionType::kUint, &Options::cache_max_item_size,
     "65536",
     "Largest value cached, in bytes; larger values bypass the cache. A "
     "cached item (20 bytes + key + value, 8-byte aligned; keys up to 4095 "
     "bytes) must also fit in one page of its instance: a power of two "
     "between 1/64 and 1/32 of the instance's capacity (4 KiB to 1 MiB), "
     "256 KiB for the default 16 MiB instances; `cairn.cache` shows each "
     "instance's `max_item_bytes`.",
     0, 1 << 20},
    {"cache.ttl_ms", OptionType::kUint, &Options::cache_ttl_ms, "0",
     "Cached items expire this long after they were cached (0: never). "
     "Expiry only drops the cached copy; the data stays in LevelDB.",
     0, 365ull * 24 * 3600 * 1000},
    {"cache.lock_timeout_ms", OptionType::kUint,
     &Options::cache_lock_timeout_ms, "1000",
     "How long a writer waits for a cache bucket lock before declaring the "
     "instance failed (it then serves misses and is rebuilt at the next "
     "open).",
     1, 60000},
    {"cache.write_policy", OptionType::kEnum, &Options::cache_write_policy,
     "update",
     "What a write does to its cached copy: `update` stores the new value "
     "(reads after writes hit), `invalidate` drops it (cheaper writes; bulk "
     "loads do not churn the cache).",
     0, 0, "update|invalidate"},
    {"cache.admission", OptionType::kEnum, &Options::cache_admission, "always",
     "Which values a read miss caches: `always` every one, `second_miss` a "
     "key's only on its second miss within a window (about four times the "
     "keys the cache holds), so a one-pass scan does not evict the hot set. "
     "Writes and moves between instances are not affected. `second_miss` "
     "takes one to two bytes of process memory per window key (1/32 to "
     "1/16 of cache.capacity_mb).",
     0, 0, "always|second_miss"},
    {"migration.rate_items_per_sec", OptionType::kUint,
     &Options::migration_rate_items_per_sec, "100000",
     "Items a second the background mover moves to their new cache instance "
     "after an instance is added or removed (misses also move items "
     "lazily, and cairn_cache_transfer moves at once).",
     1, 1000000000},
    {"oplog.retain_ops", OptionType::kUint, &Options::oplog_retain_ops, "10000",
     "Newest op-log operations kept by the background trimmer; the log is "
     "trimmed back to this once it holds a quarter more (at least 1024 "
     "more). A replication hold keeps more. 0 disables automatic trimming.",
     0, 1ull << 40},
};

absl::StatusOr<bool> ParseBool(std::string_view value) {
  std::string v = absl::AsciiStrToLower(AV(value));
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  return absl::InvalidArgumentError("expected true or false");
}

}  // namespace

namespace option_internal {

absl::Status UnknownOption(std::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown option '", AV(name), "'"));
}

absl::Status ParseValue(OptionType type, std::string_view name,
                        std::string_view value, uint64_t min, uint64_t max,
                        std::string_view choices, Parsed* out) {
  auto fail = [&](std::string_view expected) {
    return absl::InvalidArgumentError(absl::StrCat("option ", AV(name),
                                                   ": expected ", AV(expected),
                                                   ", got '", AV(value), "'"));
  };
  switch (type) {
    case OptionType::kBool: {
      absl::StatusOr<bool> b = ParseBool(value);
      if (!b.ok()) return fail("true or false");
      out->b = *b;
      return absl::OkStatus();
    }
    case OptionType::kUint: {
      uint64_t n = 0;
      // SimpleAtoi tolerates surrounding whitespace and a '+'; we do not.
      bool digits_only =
          !value.empty() && value.size() <= 20 &&
          value.find_first_not_of("0123456789") == std::string_view::npos;
      if (!digits_only || !absl::SimpleAtoi(AV(value), &n)) {
        return fail("a non-negative integer");
      }
      if (n < min || n > max) {
        return fail(absl::StrCat("an integer in [", min, ", ", max, "]"));
      }
      out->n = n;
      return absl::OkStatus();
    }
    case OptionType::kEnum: {
      for (absl::string_view choice : absl::StrSplit(AV(choices), '|')) {
        if (SV(choice) == value) return absl::OkStatus();
      }
      return fail(absl::StrCat("one of ", AV(choices)));
    }
    case OptionType::kString: {
      if (value.size() > max) {
        return fail(absl::StrCat("at most ", max, " bytes"));
      }
      if (value.find('\0') != std::string_view::npos) {
        return fail("text without NUL bytes");
      }
      return absl::OkStatus();
    }
  }
  return absl::InternalError("bad option table");
}

std::string MarkdownRow(std::string_view name, OptionType type, uint64_t min,
                        uint64_t max, std::string_view choices,
                        std::string_view default_value, std::string_view doc) {
  std::string type_text;
  switch (type) {
    case OptionType::kBool:
      type_text = "bool";
      break;
    case OptionType::kUint:
      type_text = absl::StrCat("integer ", min, "–", max);
      break;
    case OptionType::kEnum:
      type_text = absl::StrCat(
          "one of `", absl::StrReplaceAll(AV(choices), {{"|", "`, `"}}), "`");
      break;
    case OptionType::kString:
      type_text = "text";
      break;
  }
  return absl::StrCat("| `", AV(name), "` | ", type_text, " | `",
                      AV(default_value), "` | ", AV(doc), " |\n");
}

}  // namespace option_internal

absl::Span<const OptionSpec> OptionTable() { return kOptions; }

absl::Status SetOption(Options* options, std::string_view name,
                       std::string_view value) {
  return SetOptionIn(OptionTable(), options, name, value);
}

absl::StatusOr<std::string> GetOption(const Options& options,
                                      std::string_view name) {
  return GetOptionIn(OptionTable(), options, name);
}

std::string OptionsToJson(const Options& options) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  OptionsToJsonIn(OptionTable(), options, &j);
  return j.dump();
}

std::string OptionsMarkdownTable() { return MarkdownTableIn(OptionTable()); }

}  // namespace cairn
