#include "bench_config.h"

#include <stdlib.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "workload.h"

namespace cairn_bench {
namespace {

uint64_t PositiveFromEnv(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  const std::string_view view(text);
  uint64_t value = 0;
  const auto [end, ec] =
      std::from_chars(view.data(), view.data() + view.size(), value);
  if (ec != std::errc() || end != view.data() + view.size() || value == 0) {
    std::fprintf(stderr, "%s: expected a positive integer, got '%s'\n", name,
                 text);
    std::exit(2);
  }
  return value;
}

// "name=value,name=value" -> pairs; exits on an element without '='.
std::vector<std::pair<std::string, std::string>> OptionsFromEnv(
    const char* name) {
  std::vector<std::pair<std::string, std::string>> options;
  const char* text = std::getenv(name);
  if (text == nullptr) return options;
  std::string_view rest(text);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view()
                                           : rest.substr(comma + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      std::fprintf(stderr, "%s: expected name=value, got '%.*s'\n", name,
                   static_cast<int>(item.size()), item.data());
      std::exit(2);
    }
    options.emplace_back(std::string(item.substr(0, eq)),
                         std::string(item.substr(eq + 1)));
  }
  return options;
}

BenchConfig LoadConfig() {
  BenchConfig config;
  config.keys = PositiveFromEnv("CAIRN_BENCH_KEYS", config.keys);
  config.store.block_cache_mb = static_cast<int>(
      PositiveFromEnv("CAIRN_BENCH_BLOCK_CACHE_MB",
                      static_cast<uint64_t>(config.store.block_cache_mb)));
  config.store.cairn_cache_mb = static_cast<int>(
      PositiveFromEnv("CAIRN_BENCH_CACHE_MB",
                      static_cast<uint64_t>(config.store.cairn_cache_mb)));

  config.store.cairn_extra = OptionsFromEnv("CAIRN_BENCH_CAIRN_OPTIONS");
  if (const char* verify = std::getenv("CAIRN_BENCH_VERIFY_CHECKSUMS");
      verify != nullptr && *verify != '\0') {
    const std::string_view text(verify);
    if (text != "0" && text != "1") {
      std::fprintf(stderr,
                   "CAIRN_BENCH_VERIFY_CHECKSUMS: expected 0 or 1, got '%s'\n",
                   verify);
      std::exit(2);
    }
    config.store.verify_checksums = text == "1";
  }

  config.small_block_cache_mb = static_cast<int>(
      PositiveFromEnv("CAIRN_BENCH_SMALL_BLOCK_CACHE_MB",
                      static_cast<uint64_t>(config.small_block_cache_mb)));
  // 10% of the key+value bytes (BENCHMARKS.md's "cache holding only 10% of
  // the data"), rounded up to whole MiB: 12 MiB for 1M records.
  const uint64_t tenth_mib =
      (config.keys * (kKeySize + kValueSize) / 10 + (1 << 20) - 1) >> 20;
  config.cold_cache_mb = static_cast<int>(PositiveFromEnv(
      "CAIRN_BENCH_COLD_CACHE_MB", tenth_mib > 0 ? tenth_mib : 1));
  // Just big enough for every record: a cached record takes its key and
  // value plus a 20-byte header rounded to 8 bytes (engine/cache/item.h),
  // and the index, page table and a page being filled per instance need a
  // few percent more: 15% headroom, in whole MiB (160 MiB for 1M records).
  // BM_CairnCacheMemory/sized reports the evictions, so too small shows.
  const uint64_t item_bytes = (20 + kKeySize + kValueSize + 7) / 8 * 8;
  const uint64_t sized_mib =
      (config.keys * item_bytes * 115 / 100 + (1 << 20) - 1) >> 20;
  config.sized_cache_mb = static_cast<int>(
      PositiveFromEnv("CAIRN_BENCH_SIZED_CACHE_MB",
                      std::max<uint64_t>(sized_mib, 1)));
  const char* reattach = std::getenv("CAIRN_BENCH_REATTACH");
  config.reattach = reattach != nullptr && std::string_view(reattach) == "1";
  config.reattach_mb = static_cast<int>(PositiveFromEnv(
      "CAIRN_BENCH_REATTACH_MB", static_cast<uint64_t>(config.reattach_mb)));
  config.reattach_value_size = static_cast<size_t>(PositiveFromEnv(
      "CAIRN_BENCH_REATTACH_VALUE", config.reattach_value_size));

  const char* dir = std::getenv("CAIRN_BENCH_DIR");
  if (dir != nullptr && *dir != '\0') {
    config.dir = dir;
    std::error_code ec;
    std::filesystem::create_directories(config.dir, ec);
    if (ec) {
      std::fprintf(stderr, "CAIRN_BENCH_DIR: cannot create '%s': %s\n", dir,
                   ec.message().c_str());
      std::exit(2);
    }
  } else {
    char pattern[] = "/tmp/cairn_bench.XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      std::perror("mkdtemp /tmp/cairn_bench.XXXXXX");
      std::exit(2);
    }
    config.dir = pattern;
    config.remove_dir_at_exit = true;
  }
  return config;
}

}  // namespace

const BenchConfig& Config() {
  static const BenchConfig config = LoadConfig();
  return config;
}

StoreOptions OptionsFor(Setup setup) {
  StoreOptions options = Config().store;
  switch (setup) {
    case Setup::kLargeBlockCache:
      break;
    case Setup::kSmallBlockCache:
    case Setup::kSmallCacheCairnShape:
      options.block_cache_mb = Config().small_block_cache_mb;
      options.leveldb_cairn_shape = setup == Setup::kSmallCacheCairnShape;
      break;
    case Setup::kColdCache:
    case Setup::kColdCacheSecondMiss:
      options.block_cache_mb = Config().small_block_cache_mb;
      options.cairn_cache_mb = Config().cold_cache_mb;
      if (setup == Setup::kColdCacheSecondMiss) {
        // Before the environment's extra options, which may override it.
        options.cairn_extra.insert(options.cairn_extra.begin(),
                                   {"cache.admission", "second_miss"});
      }
      break;
    case Setup::kSizedCache:
      options.cairn_cache_mb = Config().sized_cache_mb;
      break;
  }
  return options;
}

std::string SetupLabel(Setup setup) {
  return "bc" + std::to_string(OptionsFor(setup).block_cache_mb);
}

std::string DbPath(const std::string& name) {
  return (std::filesystem::path(Config().dir) / name).string();
}

void RemoveRunDirectory() {
  if (!Config().remove_dir_at_exit) return;
  std::error_code ec;
  std::filesystem::remove_all(Config().dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot remove '%s': %s\n", Config().dir.c_str(),
                 ec.message().c_str());
  }
}

}  // namespace cairn_bench
