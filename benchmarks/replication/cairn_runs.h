// cairn_runs.h — the Cairn measurements of P5 and P6 (shared
// BENCHMARKS.md), each one run on nodes from cairn_nodes.h:
//   PutThroughput  single-record puts of new keys from one thread (P5, with
//                  and without a peer)
//   StreamRate     records written as fast as possible (write batches) until
//                  the peer holds the last one (P5 stream)
//   ReplayRate     the same records replayed to a peer that was down while
//                  they were written (the stream alone)
//   PacedLag       puts at a fixed rate; for one write per millisecond, the
//                  time from its commit to its being readable on the peer
//                  (P5 lag)
//   SyncLatency    sync-mode puts (1 ack) from concurrent writers (P6)
//
// Keys are 16 bytes, values 100 (the YCSB record format of ycsb_workload.h);
// every run writes new keys from its own `key_base`, so "readable on the
// peer" means "replicated".
#ifndef CAIRN_BENCHMARKS_REPLICATION_CAIRN_RUNS_H_
#define CAIRN_BENCHMARKS_REPLICATION_CAIRN_RUNS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cairn_nodes.h"
#include "latency.h"

namespace cairn_repl {

// The key of record `record` (16 bytes).
std::string RecordKey(uint64_t record);

struct PutRun {
  uint64_t records = 0;
  double ops_per_sec = 0;
  uint64_t last_record = 0;  // the last record written
};
bool PutThroughput(CairnNode* node, double seconds, uint64_t key_base,
                   PutRun* out, std::string* error);

struct StreamRun {
  uint64_t records = 0;
  double write_per_sec = 0;   // the writer alone
  double stream_per_sec = 0;  // records / (first write .. last on the peer)
  double tail_ms = 0;         // last write .. last on the peer
};
bool StreamRate(NodePair* pair, uint64_t records, int batch, uint64_t key_base,
                StreamRun* out, std::string* error);

// The ceiling for the stream on this machine: the same records written in
// the same batches into a bare LevelDB (default options, no Cairn, no
// replication) in `dir`, which is removed afterwards.
bool BareLevelDbBatchRate(const std::string& dir, uint64_t records, int batch,
                          uint64_t key_base, double* per_sec,
                          std::string* error);

struct ReplayRun {
  uint64_t records = 0;
  double stream_per_sec = 0;          // the peer's first record .. its last
  double reconnect_ms = 0;            // node 2 open .. its first record
  double with_reconnect_per_sec = 0;  // node 2 open .. its last record
};
// Closes node 2, writes `records` on node 1 (batches), reopens node 2 on its
// port and times its catch-up from the log: the stream alone, not bounded
// by the writer.
bool ReplayRate(NodePair* pair, uint64_t records, int batch, uint64_t key_base,
                ReplayRun* out, std::string* error);

struct LagRun {
  double target_per_sec = 0;
  double achieved_per_sec = 0;
  // (seconds since the start at the write's commit, lag in ms), in order.
  std::vector<std::pair<double, double>> samples;
  LatencySummary lag;  // of the samples, in µs
};
// The measured lag is an upper bound: the poller sees a write at most one
// poll interval (~20–80 µs) after it became readable.
bool PacedLag(NodePair* pair, double per_sec, double seconds, uint64_t key_base,
              LagRun* out, std::string* error);

// `writers` threads, each putting new keys in sync mode with 1 ack (set in
// its write options) for `seconds`; *ns gets every put's latency, and
// *timeouts grows by the puts that returned CAIRN_TIMEOUT (committed, not
// acknowledged within replication.sync_timeout_ms; their latency is kept).
// With `sync` false the same puts ask for async mode: the floor that the
// local commit and the machine's contention set at that concurrency.
bool SyncLatency(CairnNode* node, int writers, double seconds,
                 uint64_t key_base, std::vector<uint64_t>* ns,
                 uint64_t* timeouts, std::string* error, bool sync = true);

}  // namespace cairn_repl

#endif  // CAIRN_BENCHMARKS_REPLICATION_CAIRN_RUNS_H_
