// ycsb_lookaside.h — a cache server (Redis or memcached, on loopback) used
// look-aside in front of LevelDB, as applications do today: get from the
// cache; on a miss get from LevelDB and set the cache; a write puts to
// LevelDB, then deletes the key from the cache; scans read LevelDB. One
// client connection per session (one per driver thread).
#ifndef CAIRN_BENCHMARKS_YCSB_YCSB_LOOKASIDE_H_
#define CAIRN_BENCHMARKS_YCSB_YCSB_LOOKASIDE_H_

#include <memory>
#include <string>

#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "ycsb_store.h"

namespace cairn_ycsb {

// A LevelDB with its block cache and filter, destroyed with the handle.
struct LevelDbHandle {
  ~LevelDbHandle();
  std::string path;
  std::unique_ptr<leveldb::Cache> cache;
  std::unique_ptr<const leveldb::FilterPolicy> filter;
  std::unique_ptr<leveldb::DB> db;
};

std::unique_ptr<LevelDbHandle> OpenLevelDb(const std::string& dir,
                                           uint64_t block_cache_bytes,
                                           std::string* error);
std::unique_ptr<Session> NewLevelDbSession(leveldb::DB* db);

// name: "redis+leveldb" or "memcached+leveldb"; config.port is the
// server's. The LevelDB under it has an 8 MiB block cache.
std::unique_ptr<Store> OpenLookAside(const std::string& name,
                                     const StoreConfig& config,
                                     std::string* error);

}  // namespace cairn_ycsb

#endif  // CAIRN_BENCHMARKS_YCSB_YCSB_LOOKASIDE_H_
