#include "redis_anchor.h"

#include <hiredis.h>
#include <sys/time.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "latency.h"
#include "ycsb_workload.h"

namespace cairn_repl {
namespace {

using cairn_ycsb::FormatKey;
using cairn_ycsb::FormatValue;
using cairn_ycsb::kKeyBytes;
using cairn_ycsb::kValueBytes;

// Every call gets a reply within this, or fails (a WAIT 1 0 without a
// replica would block forever).
constexpr int kReplyTimeoutSeconds = 30;

redisContext* ConnectOne(int port, std::string* error) {
  const timeval timeout = {kReplyTimeoutSeconds, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  if (c == nullptr || c->err) {
    *error = "redis connect 127.0.0.1:" + std::to_string(port) + ": " +
             (c ? c->errstr : "out of memory");
    if (c != nullptr) redisFree(c);
    return nullptr;
  }
  if (redisSetTimeout(c, timeout) != REDIS_OK) {
    *error = "redis: cannot set a reply timeout";
    redisFree(c);
    return nullptr;
  }
  return c;
}

// Takes ownership of `reply`; false with a message on an error reply or a
// broken connection.
bool ReplyOk(redisContext* c, void* reply, std::string* error) {
  auto* r = static_cast<redisReply*>(reply);
  if (r == nullptr) {
    *error = std::string("redis: ") + c->errstr;
    return false;
  }
  const bool ok = r->type != REDIS_REPLY_ERROR;
  if (!ok) *error = std::string("redis: ") + r->str;
  freeReplyObject(r);
  return ok;
}

// The value of "field:" in an INFO section, or "".
std::string InfoField(const std::string& info, const std::string& field) {
  const std::string needle = field + ":";
  size_t at = info.find(needle);
  while (at != std::string::npos && at != 0 && info[at - 1] != '\n') {
    at = info.find(needle, at + 1);
  }
  if (at == std::string::npos) return "";
  const size_t start = at + needle.size();
  const size_t end = info.find_first_of("\r\n", start);
  return info.substr(start, end - start);
}

}  // namespace

RedisAnchor::RedisAnchor(redisContext* master, redisContext* replica,
                         int master_port)
    : master_(master), replica_(replica), master_port_(master_port) {}

RedisAnchor::~RedisAnchor() {
  redisFree(master_);
  redisFree(replica_);
}

std::unique_ptr<RedisAnchor> RedisAnchor::Connect(int master_port,
                                                  int replica_port,
                                                  std::string* error) {
  redisContext* master = ConnectOne(master_port, error);
  if (master == nullptr) return nullptr;
  redisContext* replica = ConnectOne(replica_port, error);
  if (replica == nullptr) {
    redisFree(master);
    return nullptr;
  }
  return std::unique_ptr<RedisAnchor>(
      new RedisAnchor(master, replica, master_port));
}

bool RedisAnchor::Command(redisContext* c, const char* command,
                          std::string* error) {
  return ReplyOk(c, redisCommand(c, command), error);
}

bool RedisAnchor::Info(redisContext* c, std::string* info, std::string* error) {
  auto* r = static_cast<redisReply*>(redisCommand(c, "INFO replication"));
  if (r == nullptr || r->type != REDIS_REPLY_STRING) {
    *error = std::string("redis INFO: ") +
             (r == nullptr ? c->errstr : "unexpected reply");
    if (r != nullptr) freeReplyObject(r);
    return false;
  }
  info->assign(r->str, r->len);
  freeReplyObject(r);
  return true;
}

bool RedisAnchor::Attach(std::string* error) {
  const std::string cmd = "REPLICAOF 127.0.0.1 " + std::to_string(master_port_);
  if (!Command(replica_, cmd.c_str(), error)) return false;
  // Polls another process's state: bounded, 10 ms apart.
  for (int i = 0; i < 3000; ++i) {
    std::string master_info, replica_info;
    if (!Info(master_, &master_info, error) ||
        !Info(replica_, &replica_info, error)) {
      return false;
    }
    if (InfoField(replica_info, "master_link_status") == "up" &&
        InfoField(master_info, "connected_slaves") == "1" &&
        InfoField(master_info, "slave0").find("state=online") !=
            std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  *error = "redis: the replica did not come online within 30 s";
  return false;
}

bool RedisAnchor::Detach(std::string* error) {
  if (!Command(replica_, "REPLICAOF NO ONE", error)) return false;
  for (int i = 0; i < 3000; ++i) {
    std::string info;
    if (!Info(master_, &info, error)) return false;
    if (InfoField(info, "connected_slaves") == "0") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  *error = "redis: the master still lists a replica after 30 s";
  return false;
}

bool RedisAnchor::Flush(std::string* error) {
  return Command(master_, "FLUSHALL", error);
}

bool RedisAnchor::SetThroughput(double seconds, int pipeline, uint64_t key_base,
                                double* ops_per_sec, std::string* error) {
  char key[kKeyBytes], value[kValueBytes];
  uint64_t n = 0;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(seconds));
  do {
    for (int i = 0; i < pipeline; ++i) {
      FormatKey(key_base + n + i, key);
      FormatValue(key_base + n + i, 0, value);
      if (redisAppendCommand(master_, "SET %b %b", key, kKeyBytes, value,
                             kValueBytes) != REDIS_OK) {
        *error = std::string("redis: ") + master_->errstr;
        return false;
      }
    }
    for (int i = 0; i < pipeline; ++i) {
      void* reply = nullptr;
      if (redisGetReply(master_, &reply) != REDIS_OK) reply = nullptr;
      if (!ReplyOk(master_, reply, error)) return false;
    }
    n += pipeline;
  } while (Clock::now() < deadline);
  *ops_per_sec = static_cast<double>(n) / SecondsBetween(start, Clock::now());
  return true;
}

bool RedisAnchor::SetWaitLatency(int clients, double seconds, uint64_t key_base,
                                 std::vector<uint64_t>* ns,
                                 std::string* error) {
  std::vector<redisContext*> conns;
  for (int i = 0; i < clients; ++i) {
    redisContext* c = ConnectOne(master_port_, error);
    if (c == nullptr) {
      for (redisContext* open : conns) redisFree(open);
      return false;
    }
    conns.push_back(c);
  }
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  std::vector<std::vector<uint64_t>> samples(clients);
  std::vector<std::string> errors(clients);
  Clock::time_point deadline;
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      redisContext* c = conns[t];
      char key[kKeyBytes], value[kValueBytes];
      const uint64_t base = key_base + (static_cast<uint64_t>(t) << 32);
      for (uint64_t n = 0; Clock::now() < deadline; ++n) {
        FormatKey(base + n, key);
        FormatValue(base + n, 0, value);
        const Clock::time_point t0 = Clock::now();
        redisAppendCommand(c, "SET %b %b", key, kKeyBytes, value, kValueBytes);
        redisAppendCommand(c, "WAIT 1 0");
        void* set_reply = nullptr;
        void* wait_reply = nullptr;
        if (redisGetReply(c, &set_reply) != REDIS_OK) set_reply = nullptr;
        if (!ReplyOk(c, set_reply, &errors[t])) return;
        if (redisGetReply(c, &wait_reply) != REDIS_OK) {
          errors[t] = std::string("redis WAIT: ") + c->errstr;
          return;
        }
        auto* w = static_cast<redisReply*>(wait_reply);
        const bool acked = w->type == REDIS_REPLY_INTEGER && w->integer >= 1;
        freeReplyObject(w);
        if (!acked) {
          errors[t] = "redis WAIT 1 0 returned without a replica";
          return;
        }
        samples[t].push_back(NanosBetween(t0, Clock::now()));
      }
    });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(seconds));
    go = true;
  }
  cv.notify_all();
  for (std::thread& t : threads) t.join();
  for (redisContext* c : conns) redisFree(c);
  for (int t = 0; t < clients; ++t) {
    if (!errors[t].empty()) {
      *error = errors[t];
      return false;
    }
    ns->insert(ns->end(), samples[t].begin(), samples[t].end());
  }
  return true;
}

std::string RedisAnchor::Describe() {
  auto* r = static_cast<redisReply*>(redisCommand(master_, "INFO server"));
  std::string out;
  if (r != nullptr && r->type == REDIS_REPLY_STRING) {
    out = "redis " + InfoField(std::string(r->str, r->len), "redis_version");
  }
  if (r != nullptr) freeReplyObject(r);
  return out;
}

}  // namespace cairn_repl
