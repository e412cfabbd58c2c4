// leveldb_store.h — the raw LevelDB baseline, configured from the same
// StoreOptions as Cairn (see store.h for the interface and its contract).
// Gets read into a caller-owned std::string, as a C++ user of LevelDB would;
// Cairn's C ABI returns a malloc'd copy instead, and that cost is part of
// what we measure.
#ifndef CAIRN_BENCHMARKS_LEVELDB_STORE_H_
#define CAIRN_BENCHMARKS_LEVELDB_STORE_H_

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bench_config.h"
#include "engine/format.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "store.h"

namespace cairn_bench {

class LevelDbStore {
 public:
  static constexpr const char* kName = "LevelDB";
  static constexpr bool kPersistent = true;
  static constexpr bool kLevelDb = true;
  using Scratch = std::string;  // the value is read into it

  static std::unique_ptr<LevelDbStore> Open(const std::string& path,
                                            const StoreOptions& options,
                                            std::string* error);
  static bool Destroy(const std::string& path, std::string* error);

  LevelDbStore(const LevelDbStore&) = delete;
  LevelDbStore& operator=(const LevelDbStore&) = delete;
  ~LevelDbStore();

  bool Put(std::string_view key, std::string_view value, std::string* error) {
    return Check(db_->Put(write_options_, ToSlice(key), ToSlice(value)), error);
  }

  bool PutBatch(std::span<const Record> records, std::string* error);

  // The LevelDB write a Cairn put makes (engine/format.h), without Cairn:
  // one atomic batch of the record ('d' + key -> kind, hlc, node, value) and
  // its op-log entry ('o' + big-endian sequence -> format, count, kind, hlc,
  // node, key length, key). The floor of any design that logs every write
  // in the same LevelDB batch as the data.
  bool PutWithOpLogEntry(std::string_view key, std::string_view value,
                         uint64_t sequence, std::string* error);

  template <typename Visit>
  GetResult Get(std::string_view key, std::string* scratch, Visit&& visit,
                std::string* error) {
    leveldb::Status status;
    if (!cairn_shape_) {
      status = db_->Get(read_options_, ToSlice(key), scratch);
    } else {
      char data_key[1 + kMaxShapedKey];
      if (key.size() > kMaxShapedKey) {
        *error = "key too long for the Cairn-shaped data set";
        return GetResult::kError;
      }
      data_key[0] = kDataPrefix;
      std::memcpy(data_key + 1, key.data(), key.size());
      status = db_->Get(read_options_,
                        leveldb::Slice(data_key, key.size() + 1), scratch);
    }
    if (status.ok()) {
      std::string_view value(*scratch);
      if (cairn_shape_) value.remove_prefix(kRecordHeaderBytes);
      visit(value);
      return GetResult::kFound;
    }
    if (status.IsNotFound()) return GetResult::kNotFound;
    *error = status.ToString();
    return GetResult::kError;
  }

  bool Property(const std::string& name, std::string* value) {
    return db_->GetProperty(name, value);
  }

 private:
  LevelDbStore() = default;

  static leveldb::Slice ToSlice(std::string_view s) {
    return leveldb::Slice(s.data(), s.size());
  }
  static bool Check(const leveldb::Status& status, std::string* error) {
    if (status.ok()) return true;
    *error = status.ToString();
    return false;
  }

  std::unique_ptr<leveldb::Cache> block_cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_policy_;
  // Cairn's LevelDB layout, from the engine's own definition: data keys
  // start with kDataPrefix; a record is kind, hlc, node, then the value.
  static constexpr char kDataPrefix = cairn::kDataPrefix;
  static constexpr size_t kRecordHeaderBytes = cairn::kRecordHeaderSize;
  static constexpr size_t kMaxShapedKey = 64;

  std::unique_ptr<leveldb::DB> db_;
  bool cairn_shape_ = false;  // StoreOptions::leveldb_cairn_shape
  leveldb::ReadOptions read_options_;
  leveldb::WriteOptions write_options_;  // sync = false
};

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_LEVELDB_STORE_H_
