// lmdb_store.h — LMDB (liblmdb-dev) as a peer: what users pick instead of
// LevelDB when reads matter (see store.h for the interface and contract).
//
// Environment: one unnamed database in the directory `path`, map size
// max(1 GiB, 1 KiB per key), opened MDB_NOSYNC | MDB_WRITEMAP | MDB_NOTLS.
// The first two only speed up the load (no fsync per commit, writes straight
// into the map); reads run the same code either way, and a Cairn or LevelDB
// put without sync does not fsync either. MDB_NOTLS binds reader slots to
// txns, not threads (benchmark threads come and go).
//
// Reads are what LMDB is good at, and we let it be: each benchmark thread
// keeps one read-only txn (its Scratch), reset and renewed every
// kGetsPerTxn gets (short-lived readers, as LMDB asks, at a cost amortised
// to nothing), and the value is visited in place in the map, with no copy
// (Cairn and std::unordered_map copy out, LevelDB into a std::string).
#ifndef CAIRN_BENCHMARKS_LMDB_STORE_H_
#define CAIRN_BENCHMARKS_LMDB_STORE_H_

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bench_config.h"
#include "store.h"

namespace cairn_bench {

class LmdbStore {
 public:
  static constexpr const char* kName = "Lmdb";
  static constexpr bool kPersistent = true;
  static constexpr bool kLevelDb = false;
  static constexpr uint32_t kGetsPerTxn = 1024;

  // One thread's read txn; begun on its first get, aborted on destruction.
  struct Scratch {
    Scratch() = default;
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    ~Scratch() {
      if (txn != nullptr) mdb_txn_abort(txn);
    }
    MDB_txn* txn = nullptr;
    uint32_t gets = 0;
  };

  static std::unique_ptr<LmdbStore> Open(const std::string& path,
                                         const StoreOptions& options,
                                         std::string* error);
  static bool Destroy(const std::string& path, std::string* error);

  LmdbStore(const LmdbStore&) = delete;
  LmdbStore& operator=(const LmdbStore&) = delete;
  ~LmdbStore();

  bool Put(std::string_view key, std::string_view value, std::string* error);
  bool PutBatch(std::span<const Record> records, std::string* error);

  template <typename Visit>
  GetResult Get(std::string_view key, Scratch* scratch, Visit&& visit,
                std::string* error) {
    if (!ReadTxn(scratch, error)) return GetResult::kError;
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v;
    const int rc = mdb_get(scratch->txn, dbi_, &k, &v);
    if (rc == 0) {
      visit(std::string_view(static_cast<const char*>(v.mv_data), v.mv_size));
      return GetResult::kFound;
    }
    if (rc == MDB_NOTFOUND) return GetResult::kNotFound;
    *error = mdb_strerror(rc);
    return GetResult::kError;
  }

  bool Property(const std::string& /*name*/, std::string* /*value*/) {
    return false;
  }

  // "mapsize=... flags=..." for the benchmark context.
  static std::string Describe();

 private:
  LmdbStore() = default;

  // Begins the thread's txn, or renews it every kGetsPerTxn gets.
  bool ReadTxn(Scratch* scratch, std::string* error) {
    if (scratch->txn != nullptr && ++scratch->gets < kGetsPerTxn) return true;
    int rc;
    if (scratch->txn == nullptr) {
      rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &scratch->txn);
      if (rc != 0) scratch->txn = nullptr;
    } else {
      mdb_txn_reset(scratch->txn);
      rc = mdb_txn_renew(scratch->txn);
    }
    scratch->gets = 0;
    if (rc == 0) return true;
    *error = std::string("read txn: ") + mdb_strerror(rc);
    return false;
  }

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_LMDB_STORE_H_
