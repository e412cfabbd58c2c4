// cairn_nodes.h — Cairn nodes for the replication benchmarks, opened in this
// process through the C ABI: a single unreplicated node (the baseline) and
// a pair replicating to each other on loopback.
//
// The pair: nodes 1 and 2 listen on 127.0.0.1:0, learn each other's port
// from the "cairn.replication" property ("listen_port") and add each other
// with cairn_peer_add. A probe written on node 1 must become readable on
// node 2 before the pair is handed out.
//
// A CairnNode closes its database and destroys it (directory and shared-
// memory segments) when destroyed, on every path out of the benchmark.
#ifndef CAIRN_BENCHMARKS_REPLICATION_CAIRN_NODES_H_
#define CAIRN_BENCHMARKS_REPLICATION_CAIRN_NODES_H_

#include <cairn/cairn.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latency.h"

namespace cairn_repl {

using OptionList = std::vector<std::pair<std::string, std::string>>;

class CairnNode {
 public:
  // nullptr on failure, with *status (CAIRN_NOT_SUPPORTED: this build has
  // no replicator) and *error.
  static std::unique_ptr<CairnNode> Open(const std::string& path,
                                         const OptionList& options,
                                         cairn_status_t* status,
                                         std::string* error);
  ~CairnNode();
  CairnNode(const CairnNode&) = delete;
  CairnNode& operator=(const CairnNode&) = delete;

  cairn_db_t* db() const { return db_; }
  const std::string& path() const { return path_; }

  // Closes the database, keeping it (no other call until Reopen).
  void Close();
  // Closes the database if open, keeping it, and opens it again with
  // `options`. On failure the node stays closed.
  bool Reopen(const OptionList& options, std::string* error);

  bool Property(const char* name, std::string* value, std::string* error);
  // Whether LevelDB has compaction work due (*due), from "leveldb.stats":
  // level 0 holds 4 files or more, or a level L >= 1 holds more than
  // 10^L MiB (LevelDB's own triggers; its size column is rounded to MiB).
  bool CompactionDue(bool* due, std::string* error);
  // The replication listener's port ("cairn.replication", "listen_port").
  bool ListenPort(int* port, std::string* error);
  // Whether `key` is readable here (any value). Cheap: no allocation.
  // Has and WaitFor share a scratch buffer: one thread at a time.
  bool Has(std::string_view key);
  // Polls Has(key) until true (*when: the first time it was seen) or
  // `timeout` passes (false). `pause` between polls (0: yield).
  bool WaitFor(std::string_view key, std::chrono::microseconds pause,
               std::chrono::milliseconds timeout, Clock::time_point* when);

 private:
  CairnNode(cairn_db_t* db, std::string path)
      : db_(db), path_(std::move(path)) {}
  cairn_db_t* db_;  // null only after a failed Reopen
  const std::string path_;
  char buf_[256];
};

// Options common to every node of the benchmark, baseline and pair alike.
OptionList BaseOptions();

struct NodePair {
  std::unique_ptr<CairnNode> first;   // node 1: written to
  std::unique_ptr<CairnNode> second;  // node 2: its peer
  // Node 2's options for a reopen on the same port, node 1 listed as its
  // peer (a peer added at run time is not remembered across a reopen).
  OptionList second_reopen;
};

// Opens nodes 1 and 2 under `dir` with `extra` options on both, wires them
// and waits (bounded: 60 s) until a probe write on node 1 is readable on
// node 2. On failure, *status is the failing call's (CAIRN_NOT_SUPPORTED
// when replication is not built) and *error says which step failed.
bool OpenPair(const std::string& dir, const OptionList& extra, NodePair* pair,
              cairn_status_t* status, std::string* error);

// A cairn_put through `db` with `wo`; false with "cairn_put: STATUS: msg".
bool Put(cairn_db_t* db, const cairn_writeoptions_t* wo, std::string_view key,
         std::string_view value, std::string* error);

}  // namespace cairn_repl

#endif  // CAIRN_BENCHMARKS_REPLICATION_CAIRN_NODES_H_
