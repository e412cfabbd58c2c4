// redis_anchor.h — Redis replication as the anchor for P5 and P6: a master
// and a replica on loopback (started by run.sh), driven with hiredis.
//
// The replica can be detached (REPLICAOF NO ONE) and attached again
// (REPLICAOF host port, then a wait until the master lists it online), so
// runs with and without a replica alternate on the same two servers.
//
// Not thread-safe: one benchmark thread drives it; SetWaitLatency opens its
// own connection per client thread.
#ifndef CAIRN_BENCHMARKS_REPLICATION_REDIS_ANCHOR_H_
#define CAIRN_BENCHMARKS_REPLICATION_REDIS_ANCHOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct redisContext;

namespace cairn_repl {

class RedisAnchor {
 public:
  static std::unique_ptr<RedisAnchor> Connect(int master_port, int replica_port,
                                              std::string* error);
  ~RedisAnchor();
  RedisAnchor(const RedisAnchor&) = delete;
  RedisAnchor& operator=(const RedisAnchor&) = delete;

  // The replica follows the master and the master lists it online
  // (bounded: 30 s).
  bool Attach(std::string* error);
  // The replica stops following; the master lists no replica (30 s).
  bool Detach(std::string* error);
  // FLUSHALL on the master (reaches the replica when attached).
  bool Flush(std::string* error);

  // One client sends SETs of 16-byte keys and 100-byte values for
  // `seconds`, `pipeline` at a time (1: one round trip per SET).
  bool SetThroughput(double seconds, int pipeline, uint64_t key_base,
                     double* ops_per_sec, std::string* error);
  // `clients` connections, each sending SET then WAIT 1 0 (pipelined, so
  // one round trip) in a loop for `seconds`; *ns gets one sample per pair,
  // from sending the SET to the WAIT's reply (which says 1 replica).
  bool SetWaitLatency(int clients, double seconds, uint64_t key_base,
                      std::vector<uint64_t>* ns, std::string* error);

  // "used_memory_human" and the server version, for the report.
  std::string Describe();

 private:
  RedisAnchor(redisContext* master, redisContext* replica, int master_port);
  bool Info(redisContext* c, std::string* info, std::string* error);
  bool Command(redisContext* c, const char* command, std::string* error);

  redisContext* master_;
  redisContext* replica_;
  const int master_port_;
};

}  // namespace cairn_repl

#endif  // CAIRN_BENCHMARKS_REPLICATION_REDIS_ANCHOR_H_
