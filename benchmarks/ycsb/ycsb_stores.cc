// The embedded stores of the YCSB driver: Cairn (through its C ABI, reads
// with cairn_get_into), LevelDB, RocksDB and LMDB. Each uses its cache
// budget the way its users would: Cairn's shared-memory cache, the block
// cache of LevelDB and RocksDB; LMDB has none (the OS page cache).
#include <lmdb.h>

#include <algorithm>
#include <memory>
#include <string>

#include "cairn/cairn.h"
#include "leveldb/cache.h"
#include "leveldb/db.h"
#include "leveldb/filter_policy.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "ycsb_lookaside.h"
#include "ycsb_store.h"

namespace cairn_ycsb {
namespace {

// ---- Cairn ----

class CairnSession : public Session {
 public:
  explicit CairnSession(cairn_db_t* db) : db_(db) { buf_.resize(256); }

  bool Read(std::string_view key, std::string* value, bool* found,
            std::string* error) override {
    size_t n = 0;
    char* err = nullptr;
    cairn_status_t s = cairn_get_into(db_, nullptr, key.data(), key.size(),
                                      buf_.data(), buf_.size(), &n, &err);
    if (s == CAIRN_OK && n > buf_.size()) {
      buf_.resize(n);
      s = cairn_get_into(db_, nullptr, key.data(), key.size(), buf_.data(),
                         buf_.size(), &n, &err);
    }
    *found = s == CAIRN_OK;
    if (s == CAIRN_OK) {
      value->assign(buf_.data(), n);
      return true;
    }
    return Check(s, err, error);
  }

  bool Write(std::string_view key, std::string_view value,
             std::string* error) override {
    char* err = nullptr;
    return Check(cairn_put(db_, nullptr, key.data(), key.size(), value.data(),
                           value.size(), &err),
                 err, error);
  }

  bool Scan(std::string_view start, int count, int* seen,
            std::string* error) override {
    char* err = nullptr;
    cairn_iterator_t* it = nullptr;
    if (!Check(cairn_iter_create(db_, nullptr, &it, &err), err, error)) {
      return false;
    }
    *seen = 0;
    for (cairn_iter_seek(it, start.data(), start.size());
         cairn_iter_valid(it) && *seen < count; cairn_iter_next(it)) {
      size_t n = 0;
      const char* v = cairn_iter_value(it, &n);
      sink_ += n > 0 ? v[0] : 0;
      ++*seen;
    }
    const bool ok = Check(cairn_iter_status(it, &err), err, error);
    cairn_iter_destroy(it);
    return ok;
  }

 private:
  static bool Check(cairn_status_t s, char* err, std::string* error) {
    if (s == CAIRN_OK || s == CAIRN_NOT_FOUND) {
      cairn_free(err);
      return true;
    }
    *error = std::string("cairn: ") + cairn_status_name(s) + ": " +
             (err != nullptr ? err : "");
    cairn_free(err);
    return false;
  }

  cairn_db_t* db_;
  std::string buf_;
  char sink_ = 0;
};

class CairnYcsbStore : public Store {
 public:
  static std::unique_ptr<Store> Open(const StoreConfig& c, std::string* error) {
    cairn_options_t* o = cairn_options_create();
    const uint64_t mb = std::max<uint64_t>(1, c.cache_bytes >> 20);
    const struct {
      const char* name;
      std::string value;
    } opts[] = {{"create_if_missing", "true"},
                {"cache.capacity_mb", std::to_string(mb)},
                {"cache.instances", mb >= 4 ? "4" : "1"}};
    char* err = nullptr;
    for (const auto& opt : opts) {
      if (cairn_options_set(o, opt.name, opt.value.c_str(), &err) != CAIRN_OK) {
        *error = std::string("cairn option ") + opt.name + ": " + err;
        cairn_free(err);
        cairn_options_destroy(o);
        return nullptr;
      }
    }
    cairn_db_t* db = nullptr;
    const cairn_status_t s = cairn_open(o, c.dir.c_str(), &db, &err);
    cairn_options_destroy(o);
    if (s != CAIRN_OK) {
      *error = std::string("cairn_open: ") + err;
      cairn_free(err);
      return nullptr;
    }
    auto store = std::unique_ptr<CairnYcsbStore>(new CairnYcsbStore(db, mb));
    store->path_ = c.dir;
    return store;
  }
  ~CairnYcsbStore() override {
    cairn_close(db_);
    char* err = nullptr;
    (void)cairn_destroy(path_.c_str(), &err);
    cairn_free(err);
  }
  std::unique_ptr<Session> NewSession(std::string*) override {
    return std::make_unique<CairnSession>(db_);
  }
  std::string Describe() const override {
    return "cache.capacity_mb=" + std::to_string(mb_);
  }

 private:
  CairnYcsbStore(cairn_db_t* db, uint64_t mb) : db_(db), mb_(mb) {}
  cairn_db_t* db_;
  uint64_t mb_;
  std::string path_;
};

// ---- LevelDB ----

class LevelDbSession : public Session {
 public:
  explicit LevelDbSession(leveldb::DB* db) : db_(db) {}
  bool Read(std::string_view key, std::string* value, bool* found,
            std::string* error) override {
    leveldb::Status s =
        db_->Get(leveldb::ReadOptions(), {key.data(), key.size()}, value);
    *found = s.ok();
    if (s.ok() || s.IsNotFound()) return true;
    *error = "leveldb get: " + s.ToString();
    return false;
  }
  bool Write(std::string_view key, std::string_view value,
             std::string* error) override {
    leveldb::Status s =
        db_->Put(leveldb::WriteOptions(), {key.data(), key.size()},
                 {value.data(), value.size()});
    if (!s.ok()) *error = "leveldb put: " + s.ToString();
    return s.ok();
  }
  bool Scan(std::string_view start, int count, int* seen,
            std::string* error) override {
    std::unique_ptr<leveldb::Iterator> it(
        db_->NewIterator(leveldb::ReadOptions()));
    *seen = 0;
    for (it->Seek({start.data(), start.size()}); it->Valid() && *seen < count;
         it->Next()) {
      sink_ += it->value().size();
      ++*seen;
    }
    if (!it->status().ok()) *error = "leveldb scan: " + it->status().ToString();
    return it->status().ok();
  }

 private:
  leveldb::DB* db_;
  size_t sink_ = 0;
};

}  // namespace

LevelDbHandle::~LevelDbHandle() {
  db.reset();
  leveldb::Options o;
  (void)leveldb::DestroyDB(path, o);
}

std::unique_ptr<LevelDbHandle> OpenLevelDb(const std::string& dir,
                                           uint64_t block_cache_bytes,
                                           std::string* error) {
  auto h = std::make_unique<LevelDbHandle>();
  h->path = dir;
  leveldb::Options o;
  o.create_if_missing = true;
  o.write_buffer_size = 4 << 20;
  h->cache.reset(
      leveldb::NewLRUCache(std::max<uint64_t>(block_cache_bytes, 8 << 20)));
  h->filter.reset(leveldb::NewBloomFilterPolicy(10));
  o.block_cache = h->cache.get();
  o.filter_policy = h->filter.get();
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(o, dir, &db);
  if (!s.ok()) {
    *error = "leveldb open: " + s.ToString();
    return nullptr;
  }
  h->db.reset(db);
  return h;
}

std::unique_ptr<Session> NewLevelDbSession(leveldb::DB* db) {
  return std::make_unique<LevelDbSession>(db);
}

namespace {

class LevelDbYcsbStore : public Store {
 public:
  explicit LevelDbYcsbStore(std::unique_ptr<LevelDbHandle> h, uint64_t bytes)
      : h_(std::move(h)), bytes_(bytes) {}
  std::unique_ptr<Session> NewSession(std::string*) override {
    return NewLevelDbSession(h_->db.get());
  }
  std::string Describe() const override {
    return "block_cache_mb=" +
           std::to_string(std::max<uint64_t>(bytes_, 8 << 20) >> 20);
  }

 private:
  std::unique_ptr<LevelDbHandle> h_;
  uint64_t bytes_;
};

// ---- RocksDB ----

class RocksDbSession : public Session {
 public:
  explicit RocksDbSession(rocksdb::DB* db) : db_(db) {}
  bool Read(std::string_view key, std::string* value, bool* found,
            std::string* error) override {
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), {key.data(), key.size()}, value);
    *found = s.ok();
    if (s.ok() || s.IsNotFound()) return true;
    *error = "rocksdb get: " + s.ToString();
    return false;
  }
  bool Write(std::string_view key, std::string_view value,
             std::string* error) override {
    rocksdb::Status s =
        db_->Put(rocksdb::WriteOptions(), {key.data(), key.size()},
                 {value.data(), value.size()});
    if (!s.ok()) *error = "rocksdb put: " + s.ToString();
    return s.ok();
  }
  bool Scan(std::string_view start, int count, int* seen,
            std::string* error) override {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions()));
    *seen = 0;
    for (it->Seek({start.data(), start.size()}); it->Valid() && *seen < count;
         it->Next()) {
      sink_ += it->value().size();
      ++*seen;
    }
    if (!it->status().ok()) *error = "rocksdb scan: " + it->status().ToString();
    return it->status().ok();
  }

 private:
  rocksdb::DB* db_;
  size_t sink_ = 0;
};

class RocksDbYcsbStore : public Store {
 public:
  static std::unique_ptr<Store> Open(const StoreConfig& c, std::string* error) {
    rocksdb::Options o;
    o.create_if_missing = true;
    o.write_buffer_size = 4 << 20;
    rocksdb::BlockBasedTableOptions t;
    const uint64_t bytes = std::max<uint64_t>(c.cache_bytes, 8 << 20);
    t.block_cache = rocksdb::NewLRUCache(bytes);
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(o, c.dir, &db);
    if (!s.ok()) {
      *error = "rocksdb open: " + s.ToString();
      return nullptr;
    }
    auto store = std::unique_ptr<RocksDbYcsbStore>(new RocksDbYcsbStore());
    store->db_.reset(db);
    store->path_ = c.dir;
    store->bytes_ = bytes;
    return store;
  }
  ~RocksDbYcsbStore() override {
    db_.reset();
    (void)rocksdb::DestroyDB(path_, rocksdb::Options());
  }
  std::unique_ptr<Session> NewSession(std::string*) override {
    return std::make_unique<RocksDbSession>(db_.get());
  }
  std::string Describe() const override {
    return "block_cache_mb=" + std::to_string(bytes_ >> 20);
  }

 private:
  RocksDbYcsbStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  uint64_t bytes_ = 0;
};

// ---- LMDB ----

class LmdbSession : public Session {
 public:
  LmdbSession(MDB_env* env, MDB_dbi dbi) : env_(env), dbi_(dbi) {}
  ~LmdbSession() override {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  bool Read(std::string_view key, std::string* value, bool* found,
            std::string* error) override {
    MDB_txn* txn = ReadTxn(error);
    if (txn == nullptr) return false;
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v;
    const int rc = mdb_get(txn, dbi_, &k, &v);
    *found = rc == 0;
    if (rc == 0) value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_reset(txn);
    return rc == 0 || rc == MDB_NOTFOUND || Fail("mdb_get", rc, error);
  }
  bool Write(std::string_view key, std::string_view value,
             std::string* error) override {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) return Fail("mdb_txn_begin", rc, error);
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    rc = mdb_put(txn, dbi_, &k, &v, 0);
    if (rc != 0) {
      mdb_txn_abort(txn);
      return Fail("mdb_put", rc, error);
    }
    rc = mdb_txn_commit(txn);
    return rc == 0 || Fail("mdb_txn_commit", rc, error);
  }
  bool Scan(std::string_view start, int count, int* seen,
            std::string* error) override {
    MDB_txn* txn = ReadTxn(error);
    if (txn == nullptr) return false;
    MDB_cursor* cur = nullptr;
    int rc = mdb_cursor_open(txn, dbi_, &cur);
    if (rc != 0) {
      mdb_txn_reset(txn);
      return Fail("mdb_cursor_open", rc, error);
    }
    MDB_val k{start.size(), const_cast<char*>(start.data())};
    MDB_val v;
    *seen = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
         rc == 0 && *seen < count; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      sink_ += v.mv_size;
      ++*seen;
    }
    mdb_cursor_close(cur);
    mdb_txn_reset(txn);
    return rc == 0 || rc == MDB_NOTFOUND || Fail("mdb_cursor_get", rc, error);
  }

 private:
  // One read transaction per session, reset after each read and renewed
  // before the next (the cheap way to read LMDB one key at a time).
  MDB_txn* ReadTxn(std::string* error) {
    int rc = txn_ == nullptr ? mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_)
                             : mdb_txn_renew(txn_);
    if (rc != 0) {
      Fail("mdb read txn", rc, error);
      return nullptr;
    }
    return txn_;
  }
  static bool Fail(const char* what, int rc, std::string* error) {
    *error = std::string(what) + ": " + mdb_strerror(rc);
    return false;
  }
  MDB_env* env_;
  MDB_dbi dbi_;
  MDB_txn* txn_ = nullptr;
  size_t sink_ = 0;
};

class LmdbYcsbStore : public Store {
 public:
  static std::unique_ptr<Store> Open(const StoreConfig& c, std::string* error) {
    auto store = std::unique_ptr<LmdbYcsbStore>(new LmdbYcsbStore());
    store->path_ = c.dir;
    int rc = mdb_env_create(&store->env_);
    if (rc == 0) rc = mdb_env_set_mapsize(store->env_, 8ull << 30);
    if (rc == 0) rc = mdb_env_set_maxreaders(store->env_, 126);
    if (rc == 0) {
      rc = mdb_env_open(store->env_, c.dir.c_str(),
                        MDB_NOSYNC | MDB_WRITEMAP | MDB_NOTLS, 0600);
    }
    MDB_txn* txn = nullptr;
    if (rc == 0) rc = mdb_txn_begin(store->env_, nullptr, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &store->dbi_);
    if (rc == 0) rc = mdb_txn_commit(txn);
    if (rc != 0) {
      *error = std::string("lmdb open: ") + mdb_strerror(rc);
      return nullptr;
    }
    return store;
  }
  ~LmdbYcsbStore() override {
    if (env_ != nullptr) mdb_env_close(env_);
  }
  std::unique_ptr<Session> NewSession(std::string*) override {
    return std::make_unique<LmdbSession>(env_, dbi_);
  }
  std::string Describe() const override {
    return "MDB_NOSYNC|MDB_WRITEMAP|MDB_NOTLS";
  }

 private:
  LmdbYcsbStore() = default;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  std::string path_;
};

}  // namespace

std::unique_ptr<Store> OpenStore(const std::string& name,
                                 const StoreConfig& config,
                                 std::string* error) {
  if (name == "cairn") return CairnYcsbStore::Open(config, error);
  if (name == "leveldb") {
    auto h = OpenLevelDb(config.dir, config.cache_bytes, error);
    if (h == nullptr) return nullptr;
    return std::make_unique<LevelDbYcsbStore>(std::move(h), config.cache_bytes);
  }
  if (name == "rocksdb") return RocksDbYcsbStore::Open(config, error);
  if (name == "lmdb") return LmdbYcsbStore::Open(config, error);
  if (name == "redis+leveldb" || name == "memcached+leveldb") {
    return OpenLookAside(name, config, error);
  }
  *error = "unknown store '" + name + "'";
  return nullptr;
}

}  // namespace cairn_ycsb
