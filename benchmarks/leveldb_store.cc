#include "leveldb_store.h"

#include "leveldb/write_batch.h"

namespace cairn_bench {

std::unique_ptr<LevelDbStore> LevelDbStore::Open(const std::string& path,
                                                 const StoreOptions& options,
                                                 std::string* error) {
  std::unique_ptr<LevelDbStore> store(new LevelDbStore());
  store->block_cache_.reset(
      leveldb::NewLRUCache(static_cast<size_t>(options.block_cache_mb) << 20));
  store->filter_policy_.reset(
      leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key));

  leveldb::Options db_options;
  db_options.create_if_missing = true;
  store->read_options_.verify_checksums = options.verify_checksums;
  store->cairn_shape_ = options.leveldb_cairn_shape;
  db_options.write_buffer_size = options.write_buffer_size;
  db_options.block_cache = store->block_cache_.get();
  db_options.filter_policy = store->filter_policy_.get();
  db_options.compression =
      options.snappy ? leveldb::kSnappyCompression : leveldb::kNoCompression;

  leveldb::DB* db = nullptr;
  if (!Check(leveldb::DB::Open(db_options, path, &db), error)) return nullptr;
  store->db_.reset(db);
  return store;
}

bool LevelDbStore::Destroy(const std::string& path, std::string* error) {
  return Check(leveldb::DestroyDB(path, leveldb::Options()), error);
}

// The DB goes before the cache and filter policy it uses.
LevelDbStore::~LevelDbStore() { db_.reset(); }

bool LevelDbStore::PutWithOpLogEntry(std::string_view key,
                                     std::string_view value, uint64_t sequence,
                                     std::string* error) {
  constexpr size_t kVersionBytes = kRecordHeaderBytes - 1;  // hlc, node
  std::string data_key(1, kDataPrefix);
  data_key.append(key);
  std::string record(kRecordHeaderBytes, '\x01');  // kind + version bytes
  record.append(value);
  char log_key[9] = {'o'};
  for (int i = 0; i < 8; ++i) {
    log_key[1 + i] = static_cast<char>(sequence >> (56 - 8 * i));
  }
  std::string entry;
  entry.push_back(1);  // format
  entry.push_back(1);  // count (varint32)
  entry.push_back(1);  // kind
  entry.append(kVersionBytes, '\x02');
  entry.push_back(static_cast<char>(key.size()));  // varint32, key < 128
  entry.append(key);
  leveldb::WriteBatch batch;
  batch.Put(ToSlice(data_key), ToSlice(record));
  batch.Put(leveldb::Slice(log_key, sizeof(log_key)), ToSlice(entry));
  return Check(db_->Write(write_options_, &batch), error);
}

bool LevelDbStore::PutBatch(std::span<const Record> records,
                            std::string* error) {
  leveldb::WriteBatch batch;
  std::string data_key;
  std::string shaped;
  for (const Record& record : records) {
    if (!cairn_shape_) {
      batch.Put(ToSlice(record.Key()), ToSlice(record.value));
      continue;
    }
    data_key.assign(1, kDataPrefix).append(record.Key());
    shaped.assign(kRecordHeaderBytes, '\x01').append(record.value);
    batch.Put(ToSlice(data_key), ToSlice(shaped));
  }
  return Check(db_->Write(write_options_, &batch), error);
}

}  // namespace cairn_bench
