// cairn_store.h — Cairn through its public C ABI, the way a host uses it
// (see store.h for the interface and its contract). Gets read into the
// caller's buffer (cairn_get_into); GetCopy is the allocating cairn_get.
#ifndef CAIRN_BENCHMARKS_CAIRN_STORE_H_
#define CAIRN_BENCHMARKS_CAIRN_STORE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench_config.h"
#include "cairn/cairn.h"
#include "store.h"

namespace cairn_bench {

// What the "cairn.cache" property says, per instance and in total (the
// total's live_bytes is the sum over instances; the property has none).
struct CacheInstanceStats {
  std::string open;  // "created", "warm", "rebuilt", or "disabled"
  std::string state;
  uint64_t capacity_bytes = 0;
  uint64_t used_bytes = 0;
  uint64_t live_bytes = 0;
  uint64_t items = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  // Shared memory the instance's segment holds (its /dev/shm file's
  // allocated blocks: pages are backed as they are first used); in the total,
  // the sum over the instances. 0 when it cannot be read.
  uint64_t resident_bytes = 0;
};

struct CacheSnapshot {
  CacheInstanceStats total;
  std::vector<CacheInstanceStats> instances;
};

class CairnStore {
 public:
  static constexpr const char* kName = "Cairn";
  static constexpr bool kPersistent = true;
  static constexpr bool kLevelDb = true;  // "leveldb.stats" passes through
  using Scratch = std::string;            // the get_into buffer

  // Mirrors StoreOptions into `options` by name. Returns one message per
  // option Cairn rejected; the run goes on without it, and says so.
  static std::vector<std::string> SetOptions(cairn_options_t* options,
                                             const StoreOptions& store);
  // The canonical value Cairn holds for each option we set, "name=value"
  // joined by spaces, for the benchmark context.
  static std::string DescribeOptions(const StoreOptions& store);

  static std::unique_ptr<CairnStore> Open(const std::string& path,
                                          const StoreOptions& options,
                                          std::string* error);
  static bool Destroy(const std::string& path, std::string* error);

  // Opens with options given by name (e.g. "cache.instances",
  // "migration.rate_items_per_sec"), for a benchmark that sets options
  // StoreOptions does not carry and leaves the others at Cairn's defaults.
  // Fails, naming the option, on the first one Cairn rejects.
  using NamedOptions = std::vector<std::pair<std::string, std::string>>;
  static std::unique_ptr<CairnStore> OpenWithOptions(
      const std::string& path, const NamedOptions& options, std::string* error);

  CairnStore(const CairnStore&) = delete;
  CairnStore& operator=(const CairnStore&) = delete;
  ~CairnStore() { cairn_close(db_); }

  bool Put(std::string_view key, std::string_view value, std::string* error) {
    char* message = nullptr;
    const cairn_status_t status =
        cairn_put(db_, nullptr, key.data(), key.size(), value.data(),
                  value.size(), &message);
    return Check(status, message, error);
  }

  bool PutBatch(std::span<const Record> records, std::string* error);

  // Reads into `scratch` with cairn_get_into, as a host with a reusable
  // buffer does: no allocation per get (a value longer than the buffer
  // grows it and reads again).
  template <typename Visit>
  GetResult Get(std::string_view key, std::string* scratch, Visit&& visit,
                std::string* error) {
    if (scratch->size() < 256) scratch->resize(256);
    size_t value_size = 0;
    char* message = nullptr;
    cairn_status_t status =
        cairn_get_into(db_, nullptr, key.data(), key.size(), scratch->data(),
                       scratch->size(), &value_size, &message);
    if (status == CAIRN_OK && value_size > scratch->size()) {
      scratch->resize(value_size);
      status =
          cairn_get_into(db_, nullptr, key.data(), key.size(), scratch->data(),
                         scratch->size(), &value_size, &message);
    }
    if (status == CAIRN_OK && value_size <= scratch->size()) {
      visit(std::string_view(scratch->data(), value_size));
      return GetResult::kFound;
    }
    if (status == CAIRN_NOT_FOUND) {
      cairn_free(message);
      return GetResult::kNotFound;
    }
    Check(status, message, error);
    return GetResult::kError;
  }

  // cairn_get: the value comes back malloc'd and is freed with cairn_free.
  template <typename Visit>
  GetResult GetCopy(std::string_view key, Visit&& visit, std::string* error) {
    char* value = nullptr;
    size_t value_size = 0;
    char* message = nullptr;
    const cairn_status_t status = cairn_get(
        db_, nullptr, key.data(), key.size(), &value, &value_size, &message);
    if (status == CAIRN_OK) {
      visit(std::string_view(value, value_size));
      cairn_free(value);
      return GetResult::kFound;
    }
    if (status == CAIRN_NOT_FOUND) {
      cairn_free(message);
      return GetResult::kNotFound;
    }
    Check(status, message, error);
    return GetResult::kError;
  }

  // cairn_multi_get of `n` keys, each into its own `stride`-byte slot of
  // `buf`; returns how many were found, or -1 with *error.
  int MultiGet(size_t n, const char* const* keys, const size_t* key_sizes,
               char* buf, size_t stride, std::string* error);

  bool Property(const std::string& name, std::string* value);

  // Reads and parses "cairn.cache".
  bool CacheStats(CacheSnapshot* snapshot, std::string* error);

  // cairn_cache_add_instance: adds a cache instance of `capacity_bytes`
  // under load; *id receives its id.
  bool AddCacheInstance(uint64_t capacity_bytes, uint32_t* id,
                        std::string* error);

 private:
  explicit CairnStore(cairn_db_t* db) : db_(db) {}

  // Turns a status and its message into a bool and *error; frees message.
  static bool Check(cairn_status_t status, char* message, std::string* error);

  cairn_db_t* db_;
};

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_CAIRN_STORE_H_
