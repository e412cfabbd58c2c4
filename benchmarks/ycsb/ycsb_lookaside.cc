#include "ycsb_lookaside.h"

#include <hiredis.h>
#include <libmemcached/memcached.h>

#include <memory>
#include <string>

namespace cairn_ycsb {
namespace {

// The cache client of one session.
class CacheClient {
 public:
  virtual ~CacheClient() = default;
  // *hit false on a miss.
  virtual bool Get(std::string_view key, std::string* value, bool* hit,
                   std::string* error) = 0;
  virtual bool Set(std::string_view key, std::string_view value,
                   std::string* error) = 0;
  virtual bool Del(std::string_view key, std::string* error) = 0;
  // Sets without waiting for the reply; Flush waits for all of them.
  virtual bool SetAsync(std::string_view key, std::string_view value,
                        std::string* error) = 0;
  virtual bool Flush(std::string* error) = 0;
};

class RedisClient : public CacheClient {
 public:
  static std::unique_ptr<CacheClient> Connect(const std::string& host, int port,
                                              std::string* error) {
    redisContext* c = redisConnect(host.c_str(), port);
    if (c == nullptr || c->err) {
      *error = "redis connect " + host + ":" + std::to_string(port) + ": " +
               (c != nullptr ? c->errstr : "out of memory");
      if (c != nullptr) redisFree(c);
      return nullptr;
    }
    return std::unique_ptr<CacheClient>(new RedisClient(c));
  }
  ~RedisClient() override { redisFree(c_); }

  bool Get(std::string_view key, std::string* value, bool* hit,
           std::string* error) override {
    auto* r = static_cast<redisReply*>(
        redisCommand(c_, "GET %b", key.data(), key.size()));
    if (r == nullptr) return Fail(error);
    *hit = r->type == REDIS_REPLY_STRING;
    if (*hit) value->assign(r->str, r->len);
    freeReplyObject(r);
    return true;
  }
  bool Set(std::string_view key, std::string_view value,
           std::string* error) override {
    return Simple(redisCommand(c_, "SET %b %b", key.data(), key.size(),
                               value.data(), value.size()),
                  error);
  }
  bool Del(std::string_view key, std::string* error) override {
    return Simple(redisCommand(c_, "DEL %b", key.data(), key.size()), error);
  }
  bool SetAsync(std::string_view key, std::string_view value,
                std::string* error) override {
    if (redisAppendCommand(c_, "SET %b %b", key.data(), key.size(),
                           value.data(), value.size()) != REDIS_OK) {
      return Fail(error);
    }
    return ++pending_ < 512 || Flush(error);
  }
  bool Flush(std::string* error) override {
    for (; pending_ > 0; --pending_) {
      void* reply = nullptr;
      if (redisGetReply(c_, &reply) != REDIS_OK) return Fail(error);
      if (!Simple(reply, error)) return false;
    }
    return true;
  }

 private:
  explicit RedisClient(redisContext* c) : c_(c) {}
  bool Simple(void* reply, std::string* error) {
    auto* r = static_cast<redisReply*>(reply);
    if (r == nullptr) return Fail(error);
    const bool ok = r->type != REDIS_REPLY_ERROR;
    if (!ok) *error = std::string("redis: ") + r->str;
    freeReplyObject(r);
    return ok;
  }
  bool Fail(std::string* error) {
    *error = std::string("redis: ") + c_->errstr;
    return false;
  }
  redisContext* c_;
  int pending_ = 0;
};

class MemcachedClient : public CacheClient {
 public:
  static std::unique_ptr<CacheClient> Connect(const std::string& host, int port,
                                              std::string* error) {
    memcached_st* m = memcached_create(nullptr);
    memcached_return_t rc = memcached_server_add(m, host.c_str(), port);
    if (rc == MEMCACHED_SUCCESS) {
      rc = memcached_behavior_set(m, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
    }
    if (rc == MEMCACHED_SUCCESS) {
      rc = memcached_behavior_set(m, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
    }
    if (rc != MEMCACHED_SUCCESS) {
      *error = std::string("memcached setup: ") + memcached_strerror(m, rc);
      memcached_free(m);
      return nullptr;
    }
    return std::unique_ptr<CacheClient>(new MemcachedClient(m));
  }
  ~MemcachedClient() override { memcached_free(m_); }

  bool Get(std::string_view key, std::string* value, bool* hit,
           std::string* error) override {
    size_t len = 0;
    uint32_t flags = 0;
    memcached_return_t rc;
    char* v = memcached_get(m_, key.data(), key.size(), &len, &flags, &rc);
    *hit = v != nullptr;
    if (v != nullptr) {
      value->assign(v, len);
      free(v);
      return true;
    }
    return rc == MEMCACHED_NOTFOUND || Fail("get", rc, error);
  }
  bool Set(std::string_view key, std::string_view value,
           std::string* error) override {
    const memcached_return_t rc = memcached_set(
        m_, key.data(), key.size(), value.data(), value.size(), 0, 0);
    // A cache may decline to store (a small memcached can run out of slab
    // pages for a size class): the item is just not cached.
    return rc == MEMCACHED_SUCCESS ||
           rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE ||
           rc == MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE ||
           Fail("set", rc, error);
  }
  bool Del(std::string_view key, std::string* error) override {
    const memcached_return_t rc =
        memcached_delete(m_, key.data(), key.size(), 0);
    return rc == MEMCACHED_SUCCESS || rc == MEMCACHED_NOTFOUND ||
           Fail("delete", rc, error);
  }
  bool SetAsync(std::string_view key, std::string_view value,
                std::string* error) override {
    if (!noreply_) {
      memcached_behavior_set(m_, MEMCACHED_BEHAVIOR_NOREPLY, 1);
      noreply_ = true;
    }
    const memcached_return_t rc = memcached_set(
        m_, key.data(), key.size(), value.data(), value.size(), 0, 0);
    return rc == MEMCACHED_SUCCESS || rc == MEMCACHED_BUFFERED ||
           Fail("set", rc, error);
  }
  bool Flush(std::string* error) override {
    if (!noreply_) return true;
    memcached_behavior_set(m_, MEMCACHED_BEHAVIOR_NOREPLY, 0);
    noreply_ = false;
    // A round trip after the unacknowledged sets: they have all arrived.
    std::string v;
    bool hit;
    return Get("ycsb-flush", &v, &hit, error);
  }

 private:
  explicit MemcachedClient(memcached_st* m) : m_(m) {}
  bool Fail(const char* what, memcached_return_t rc, std::string* error) {
    *error =
        std::string("memcached ") + what + ": " + memcached_strerror(m_, rc);
    return false;
  }
  memcached_st* m_;
  bool noreply_ = false;
};

class LookAsideSession : public Session {
 public:
  LookAsideSession(std::unique_ptr<CacheClient> cache, leveldb::DB* db)
      : cache_(std::move(cache)), db_(NewLevelDbSession(db)) {}

  bool Read(std::string_view key, std::string* value, bool* found,
            std::string* error) override {
    bool hit = false;
    if (!cache_->Get(key, value, &hit, error)) return false;
    if (hit) {
      *found = true;
      return true;
    }
    if (!db_->Read(key, value, found, error)) return false;
    return !*found || cache_->Set(key, *value, error);
  }
  bool Write(std::string_view key, std::string_view value,
             std::string* error) override {
    return db_->Write(key, value, error) && cache_->Del(key, error);
  }
  bool Load(std::string_view key, std::string_view value,
            std::string* error) override {
    return db_->Write(key, value, error) && cache_->SetAsync(key, value, error);
  }
  bool FinishLoad(std::string* error) override { return cache_->Flush(error); }
  bool Scan(std::string_view start, int count, int* seen,
            std::string* error) override {
    return db_->Scan(start, count, seen, error);
  }

 private:
  std::unique_ptr<CacheClient> cache_;
  std::unique_ptr<Session> db_;
};

class LookAsideStore : public Store {
 public:
  LookAsideStore(bool redis, const StoreConfig& config,
                 std::unique_ptr<LevelDbHandle> db)
      : redis_(redis), config_(config), db_(std::move(db)) {}
  std::unique_ptr<Session> NewSession(std::string* error) override {
    std::unique_ptr<CacheClient> c =
        redis_ ? RedisClient::Connect(config_.host, config_.port, error)
               : MemcachedClient::Connect(config_.host, config_.port, error);
    if (c == nullptr) return nullptr;
    return std::make_unique<LookAsideSession>(std::move(c), db_->db.get());
  }
  std::string Describe() const override {
    return std::string(redis_ ? "redis" : "memcached") + " on " + config_.host +
           ":" + std::to_string(config_.port) + ", leveldb block_cache_mb=8";
  }

 private:
  const bool redis_;
  const StoreConfig config_;
  std::unique_ptr<LevelDbHandle> db_;
};

}  // namespace

std::unique_ptr<Store> OpenLookAside(const std::string& name,
                                     const StoreConfig& config,
                                     std::string* error) {
  auto db = OpenLevelDb(config.dir, 8 << 20, error);
  if (db == nullptr) return nullptr;
  return std::make_unique<LookAsideStore>(name == "redis+leveldb", config,
                                          std::move(db));
}

}  // namespace cairn_ycsb
