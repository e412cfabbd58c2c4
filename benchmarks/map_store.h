// map_store.h — std::unordered_map<std::string, std::string> in-process: the
// upper bound with no persistence and no sharing (see store.h for the
// interface and contract).
//
// Lookups hash a std::string_view (std::hash<std::string_view>, the same
// hash as std::hash<std::string>) through a transparent hasher, so a get
// does not build a 16-byte std::string key (past the small-string buffer:
// an allocation) — the map gets its best case. A hit is copied into the
// caller's reused std::string, as Cairn copies out.
//
// Thread safety: Get from several threads at once (the map is not modified
// by then); Put and PutBatch from one thread, not during gets.
#ifndef CAIRN_BENCHMARKS_MAP_STORE_H_
#define CAIRN_BENCHMARKS_MAP_STORE_H_

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bench_config.h"
#include "store.h"

namespace cairn_bench {

class MapStore {
 public:
  static constexpr const char* kName = "Map";
  static constexpr bool kPersistent = false;
  static constexpr bool kLevelDb = false;
  using Scratch = std::string;  // the value is copied into it

  static std::unique_ptr<MapStore> Open(const std::string& /*path*/,
                                        const StoreOptions& /*options*/,
                                        std::string* /*error*/) {
    std::unique_ptr<MapStore> store(new MapStore());
    store->map_.reserve(Config().keys);
    return store;
  }
  static bool Destroy(const std::string& /*path*/, std::string* /*error*/) {
    return true;
  }

  MapStore(const MapStore&) = delete;
  MapStore& operator=(const MapStore&) = delete;

  bool Put(std::string_view key, std::string_view value,
           std::string* /*error*/) {
    map_.insert_or_assign(std::string(key), std::string(value));
    return true;
  }

  bool PutBatch(std::span<const Record> records, std::string* error) {
    for (const Record& record : records) Put(record.Key(), record.value, error);
    return true;
  }

  template <typename Visit>
  GetResult Get(std::string_view key, Scratch* scratch, Visit&& visit,
                std::string* /*error*/) {
    const auto it = map_.find(key);
    if (it == map_.end()) return GetResult::kNotFound;
    scratch->assign(it->second);
    visit(std::string_view(*scratch));
    return GetResult::kFound;
  }

  bool Property(const std::string& /*name*/, std::string* /*value*/) {
    return false;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };

  MapStore() = default;

  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> map_;
};

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_MAP_STORE_H_
