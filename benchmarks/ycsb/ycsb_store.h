// ycsb_store.h — the stores the YCSB driver runs, behind one small
// interface: Cairn (C ABI), LevelDB, RocksDB and LMDB alone, and a
// look-aside cache (Redis or memcached on loopback) in front of LevelDB,
// the architecture Cairn replaces: reads try the cache, on a miss read
// LevelDB and fill the cache; writes go to LevelDB, then delete the key
// from the cache; scans read LevelDB.
//
// One Store object is shared by the driver's threads; each thread calls
// NewSession() and uses only its own session (network clients are not
// thread-safe). Errors are fatal to a run: methods return false with a
// message in *error.
#ifndef CAIRN_BENCHMARKS_YCSB_YCSB_STORE_H_
#define CAIRN_BENCHMARKS_YCSB_YCSB_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cairn_ycsb {

class Session {
 public:
  virtual ~Session() = default;
  // *found is false for a missing key. The value goes into *value.
  virtual bool Read(std::string_view key, std::string* value, bool* found,
                    std::string* error) = 0;
  virtual bool Write(std::string_view key, std::string_view value,
                     std::string* error) = 0;
  // The load phase's write. Look-aside stores write LevelDB and set the
  // cache (pipelined), so runs start warm as they would in production.
  virtual bool Load(std::string_view key, std::string_view value,
                    std::string* error) {
    return Write(key, value, error);
  }
  // Ends the load phase (waits for pipelined replies).
  virtual bool FinishLoad(std::string* error) { return true; }
  // Reads up to `count` records from `start` on; *seen gets how many.
  virtual bool Scan(std::string_view start, int count, int* seen,
                    std::string* error) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual std::unique_ptr<Session> NewSession(std::string* error) = 0;
  // Memory the store's cache may use, for the report ("" if none).
  virtual std::string Describe() const = 0;
};

struct StoreConfig {
  std::string dir;           // a fresh directory for this store
  uint64_t cache_bytes = 0;  // the store's cache budget (see run.sh)
  std::string host = "127.0.0.1";
  int port = 0;  // of the cache server, for look-aside stores
};

// name: cairn, leveldb, rocksdb, lmdb, redis+leveldb, memcached+leveldb.
std::unique_ptr<Store> OpenStore(const std::string& name,
                                 const StoreConfig& config, std::string* error);

}  // namespace cairn_ycsb

#endif  // CAIRN_BENCHMARKS_YCSB_YCSB_STORE_H_
