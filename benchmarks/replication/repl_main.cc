// cairn_repl_bench — P5 and P6 (shared BENCHMARKS.md): Cairn replicating to
// one peer on loopback, beside Redis replicating to one replica, in one run
// (run.sh starts the two redis-servers and makes the report).
//
//   P5 put throughput: one thread of single-record puts, node 1 with its
//      peer vs a single unreplicated node; Redis SETs from one client, one
//      at a time and pipelined, with the replica attached vs detached.
//      Each round runs every case once, in a shuffled order, so drift on a
//      shared machine hits all alike; the report takes medians over rounds.
//   P5 stream: N records written in batches as fast as possible, until the
//      peer holds the last ("live"); and N records written while the peer
//      is closed, then replayed to it when it reopens, timed from its first
//      record to its last ("replay": the stream alone).
//   P5 lag: puts at --lag-fraction of the median replicated put rate; the
//      lag of one write per millisecond (commit to readable on the peer),
//      every sample in --lag-csv for the plot. It starts from settled
//      stores, as P6 does: the streams leave millions of records to compact.
//   P6: sync-mode puts (1 ack) with 1, 4 and 16 concurrent writers beside
//      Redis SET + WAIT 1 0 with as many clients; sync mode is asked for in
//      each write's options (the pair's replication.mode is async).
//
// The two Cairn nodes live in this process, each with its own database,
// cache and replicator threads; the peer's apply work shares the machine's
// cores with the writer, as Redis's replica does with its master.
//
// Usage: cairn_repl_bench --out=FILE.json --dir=DIR [--lag-csv=FILE]
//   [--redis-master-port=P --redis-replica-port=P] [--seconds=S]
//   [--rounds=R] [--pipeline=N] [--stream-records=N] [--stream-batch=N]
//   [--lag-seconds=S] [--lag-fraction=F] [--sync-seconds=S]
//   [--clients=1,4,16] [--cairn-option=NAME=VALUE ...]
//        cairn_repl_bench --gc   (removes orphaned cache segments, for
//                                 run.sh's cleanup after a failed run)
// Without Redis ports the Redis cases are skipped. Any failure exits 1
// (after closing and destroying the databases).
#include <cairn/cairn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cairn_nodes.h"
#include "cairn_runs.h"
#include "latency.h"
#include "redis_anchor.h"

namespace cairn_repl {
namespace {

using nlohmann::json;

struct Flags {
  std::string out;
  std::string dir;
  std::string lag_csv;
  int redis_master_port = 0;
  int redis_replica_port = 0;
  double seconds = 1.0;
  int rounds = 3;
  int pipeline = 64;
  uint64_t stream_records = 1000000;
  int stream_batch = 1000;
  double lag_seconds = 10.0;
  double lag_fraction = 0.5;
  double sync_seconds = 1.0;
  std::vector<int> clients = {1, 4, 16};
  OptionList cairn_options;  // --cairn-option=name=value, on every node
};

[[noreturn]] void Usage(const std::string& what) {
  fprintf(stderr, "cairn_repl_bench: %s\n", what.c_str());
  exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
      Usage("expected --name=value, got '" + a + "'");
    }
    const std::string name = a.substr(2, eq - 2), v = a.substr(eq + 1);
    try {
      if (name == "out")
        f.out = v;
      else if (name == "dir")
        f.dir = v;
      else if (name == "lag-csv")
        f.lag_csv = v;
      else if (name == "redis-master-port")
        f.redis_master_port = std::stoi(v);
      else if (name == "redis-replica-port")
        f.redis_replica_port = std::stoi(v);
      else if (name == "seconds")
        f.seconds = std::stod(v);
      else if (name == "rounds")
        f.rounds = std::stoi(v);
      else if (name == "pipeline")
        f.pipeline = std::stoi(v);
      else if (name == "stream-records")
        f.stream_records = std::stoull(v);
      else if (name == "stream-batch")
        f.stream_batch = std::stoi(v);
      else if (name == "lag-seconds")
        f.lag_seconds = std::stod(v);
      else if (name == "lag-fraction")
        f.lag_fraction = std::stod(v);
      else if (name == "sync-seconds")
        f.sync_seconds = std::stod(v);
      else if (name == "cairn-option") {
        const size_t at = v.find('=');
        if (at == std::string::npos || at == 0) throw std::invalid_argument(v);
        f.cairn_options.emplace_back(v.substr(0, at), v.substr(at + 1));
      } else if (name == "clients") {
        f.clients.clear();
        std::stringstream in(v);
        for (std::string c; std::getline(in, c, ',');) {
          f.clients.push_back(std::stoi(c));
        }
      } else {
        Usage("unknown flag --" + name);
      }
    } catch (const std::exception&) {
      Usage("bad value for --" + name + ": '" + v + "'");
    }
  }
  if (f.out.empty() || f.dir.empty()) Usage("--out and --dir are required");
  if (f.rounds < 1 || f.seconds <= 0 || f.pipeline < 1 ||
      f.stream_records < 1 || f.stream_batch < 1 || f.lag_seconds <= 0 ||
      f.lag_fraction <= 0 || f.sync_seconds <= 0) {
    Usage("counts and durations must be positive");
  }
  for (int c : f.clients) {
    if (c < 1 || c > 256) Usage("--clients: 1..256 each");
  }
  if ((f.redis_master_port == 0) != (f.redis_replica_port == 0)) {
    Usage("give both Redis ports or neither");
  }
  return f;
}

json LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = 0, five = 0, fifteen = 0;
  in >> one >> five >> fifteen;
  return {{"1m", one}, {"5m", five}, {"15m", fifteen}};
}

json LatencyJson(const LatencySummary& s) {
  return {{"count", s.count},
          {"p50_us", s.p50_us},
          {"p99_us", s.p99_us},
          {"max_us", s.max_us},
          {"mean_us", s.mean_us}};
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2]
                      : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

class Bench {
 public:
  explicit Bench(Flags flags) : f_(std::move(flags)) {}

  // 0 on success; 1 with a message on stderr.
  int Run() {
    out_["config"] = {{"seconds", f_.seconds},
                      {"rounds", f_.rounds},
                      {"pipeline", f_.pipeline},
                      {"stream_records", f_.stream_records},
                      {"stream_batch", f_.stream_batch},
                      {"lag_seconds", f_.lag_seconds},
                      {"lag_fraction", f_.lag_fraction},
                      {"sync_seconds", f_.sync_seconds},
                      {"clients", f_.clients},
                      {"key_bytes", 16},
                      {"value_bytes", 100},
                      {"cairn_abi", std::to_string(cairn_abi_major()) + "." +
                                        std::to_string(cairn_abi_minor())},
                      {"cairn_options", json::object()}};
    for (const auto& [name, value] : f_.cairn_options) {
      out_["config"]["cairn_options"][name] = value;
    }
    out_["load_before"] = LoadAverage();
    const bool ok = Setup() && Throughput() && Stream() && Lag() && Sync();
    out_["load_after"] = LoadAverage();
    if (pair_.first != nullptr) {
      // Node 1's view of its peer after everything: batches, bytes, acks.
      std::string status, error;
      if (pair_.first->Property("cairn.replication", &status, &error)) {
        out_["cairn_replication_status"] = json::parse(status, nullptr, false);
      }
    }
    // Written also after a failure ("error"), for what was measured.
    if (!ok) out_["error"] = first_error_;
    std::ofstream file(f_.out);
    file << out_.dump(2) << "\n";
    if (!file) return Fail("cannot write " + f_.out);
    return ok ? 0 : 1;
  }

 private:
  int Fail(const std::string& what) {
    fprintf(stderr, "cairn_repl_bench: %s\n", what.c_str());
    if (first_error_.empty()) first_error_ = what;
    return 1;
  }
  bool Failed(const std::string& what) {
    Fail(what);
    return false;
  }
  // A fresh range of 2^40 records for each run.
  uint64_t NextKeyBase() { return key_base_ += uint64_t{1} << 40; }

  bool Setup() {
    cairn_status_t status;
    std::string error;
    OptionList single = BaseOptions();
    single.insert(single.end(), f_.cairn_options.begin(),
                  f_.cairn_options.end());
    single_ = CairnNode::Open(f_.dir + "/single", single, &status, &error);
    if (single_ == nullptr) return Failed(error);
    // Node 1 retries a closed peer within 100 ms (the replay run).
    OptionList extra = {{"replication.reconnect_max_ms", "100"}};
    extra.insert(extra.end(), f_.cairn_options.begin(), f_.cairn_options.end());
    if (!OpenPair(f_.dir + "/pair", extra, &pair_, &status, &error)) {
      return Failed("pair: " + error);
    }
    if (f_.redis_master_port != 0) {
      redis_ = RedisAnchor::Connect(f_.redis_master_port, f_.redis_replica_port,
                                    &error);
      if (redis_ == nullptr) return Failed(error);
      out_["redis"] = redis_->Describe();
    }
    return true;
  }

  bool RedisState(bool attached, std::string* error) {
    if (redis_attached_.has_value() && *redis_attached_ == attached) {
      return true;
    }
    if (!(attached ? redis_->Attach(error) : redis_->Detach(error))) {
      return false;
    }
    redis_attached_ = attached;
    return true;
  }

  // One throughput case; appends its run to out_["throughput"].
  bool Case(const std::string& name, int round) {
    std::string error;
    json run = {{"case", name}, {"round", round}};
    if (name == "cairn_single" || name == "cairn_replicated") {
      CairnNode* node =
          name == "cairn_single" ? single_.get() : pair_.first.get();
      PutRun put;
      if (!PutThroughput(node, f_.seconds, NextKeyBase(), &put, &error)) {
        return Failed(name + ": " + error);
      }
      run["ops_per_sec"] = put.ops_per_sec;
      run["records"] = put.records;
      if (name == "cairn_replicated") {
        // Not part of the rate: the peer catches up before the next case.
        const Clock::time_point end = Clock::now();
        Clock::time_point seen;
        if (!pair_.second->WaitFor(RecordKey(put.last_record),
                                   std::chrono::microseconds(50),
                                   std::chrono::milliseconds(60000), &seen)) {
          return Failed(name + ": the peer did not catch up within 60 s");
        }
        run["drain_ms"] = SecondsBetween(end, seen) * 1e3;
      }
    } else {
      // redis_{alone,replica}_p{1,N}
      const bool attached = name.find("_replica_") != std::string::npos;
      const int pipeline =
          name.substr(name.rfind("_p") + 2) == "1" ? 1 : f_.pipeline;
      double rate = 0;
      if (!RedisState(attached, &error) || !redis_->Flush(&error) ||
          !redis_->SetThroughput(f_.seconds, pipeline, NextKeyBase(), &rate,
                                 &error)) {
        return Failed(name + ": " + error);
      }
      run["ops_per_sec"] = rate;
      run["pipeline"] = pipeline;
    }
    fprintf(stderr, "round %d %-22s %12.0f ops/s\n", round, name.c_str(),
            run["ops_per_sec"].get<double>());
    out_["throughput"].push_back(run);
    return true;
  }

  bool Throughput() {
    std::vector<std::string> cases = {"cairn_single", "cairn_replicated"};
    if (redis_ != nullptr) {
      const std::string p = "_p" + std::to_string(f_.pipeline);
      for (const char* who : {"redis_alone", "redis_replica"}) {
        cases.push_back(std::string(who) + "_p1");
        if (f_.pipeline > 1) cases.push_back(who + p);
      }
    }
    out_["throughput"] = json::array();
    std::mt19937 rng(12);
    for (int round = 0; round < f_.rounds; ++round) {
      std::shuffle(cases.begin(), cases.end(), rng);
      for (const std::string& c : cases) {
        if (!Case(c, round)) return false;
      }
    }
    return true;
  }

  bool Stream() {
    out_["stream"] = json::array();
    out_["replay"] = json::array();
    for (int round = 0; round < f_.rounds; ++round) {
      StreamRun s;
      std::string error;
      if (!StreamRate(&pair_, f_.stream_records, f_.stream_batch, NextKeyBase(),
                      &s, &error)) {
        return Failed(error);
      }
      double bare = 0;
      if (!BareLevelDbBatchRate(f_.dir + "/bare_leveldb", f_.stream_records,
                                f_.stream_batch, NextKeyBase(), &bare,
                                &error)) {
        return Failed(error);
      }
      fprintf(stderr,
              "round %d stream %12.0f records/s (writer %.0f/s; bare LevelDB "
              "batch writes %.0f/s)\n",
              round, s.stream_per_sec, s.write_per_sec, bare);
      out_["stream"].push_back({{"round", round},
                                {"records", s.records},
                                {"write_per_sec", s.write_per_sec},
                                {"stream_per_sec", s.stream_per_sec},
                                {"bare_leveldb_per_sec", bare},
                                {"tail_ms", s.tail_ms}});
      ReplayRun r;
      if (!ReplayRate(&pair_, f_.stream_records, f_.stream_batch, NextKeyBase(),
                      &r, &error)) {
        return Failed(error);
      }
      fprintf(stderr, "round %d replay %12.0f records/s (reconnect %.0f ms)\n",
              round, r.stream_per_sec, r.reconnect_ms);
      out_["replay"].push_back(
          {{"round", round},
           {"records", r.records},
           {"stream_per_sec", r.stream_per_sec},
           {"reconnect_ms", r.reconnect_ms},
           {"with_reconnect_per_sec", r.with_reconnect_per_sec}});
    }
    return true;
  }

  bool Lag() {
    std::vector<double> rates;
    for (const json& run : out_["throughput"]) {
      if (run["case"] == "cairn_replicated") {
        rates.push_back(run["ops_per_sec"].get<double>());
      }
    }
    const double peak = Median(rates);
    // From a peer that holds everything written before, and from stores
    // whose compactions caught up with it: the stream runs leave millions
    // of records to compact, and the lag is measured at a steady rate.
    if (!Drain("lag_drain_ms") || !Settle("lag_settle")) return false;
    LagRun lag;
    std::string error;
    if (!PacedLag(&pair_, peak * f_.lag_fraction, f_.lag_seconds, NextKeyBase(),
                  &lag, &error)) {
      return Failed(error);
    }
    fprintf(stderr, "lag at %.0f/s: p50 %.3f ms p99 %.3f ms max %.3f ms\n",
            lag.achieved_per_sec, lag.lag.p50_us / 1e3, lag.lag.p99_us / 1e3,
            lag.lag.max_us / 1e3);
    out_["lag"] = {{"peak_per_sec", peak},
                   {"target_per_sec", lag.target_per_sec},
                   {"achieved_per_sec", lag.achieved_per_sec},
                   {"latency", LatencyJson(lag.lag)},
                   {"csv", f_.lag_csv}};
    if (!f_.lag_csv.empty()) {
      std::ofstream csv(f_.lag_csv);
      csv << "t_s,lag_ms\n";
      for (const auto& [t, ms] : lag.samples) csv << t << "," << ms << "\n";
      if (!csv) return Failed("cannot write " + f_.lag_csv);
    }
    return true;
  }

  // Writes a marker on node 1 and waits (60 s) until node 2 has it;
  // records the wait as out_[name].
  bool Drain(const char* name) {
    std::string error;
    const std::string marker = RecordKey(NextKeyBase());
    const Clock::time_point start = Clock::now();
    Clock::time_point seen;
    if (!Put(pair_.first->db(), nullptr, marker, "drain", &error)) {
      return Failed(error);
    }
    if (!pair_.second->WaitFor(marker, std::chrono::microseconds(50),
                               std::chrono::milliseconds(60000), &seen)) {
      return Failed(std::string(name) + ": the peer did not catch up in 60 s");
    }
    out_[name] = SecondsBetween(start, seen) * 1e3;
    return true;
  }

  // Waits until neither node of the pair has LevelDB compaction work due
  // (two polls in a row, 50 ms apart), for at most 120 s, and records as
  // out_[name] how long it took and whether it got there: a run that never
  // settles goes on, its figures then include the backlog.
  bool Settle(const char* name) {
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + std::chrono::seconds(120);
    int quiet_polls = 0;
    std::string error;
    while (quiet_polls < 2 && Clock::now() < deadline) {
      bool due1 = false, due2 = false;
      if (!pair_.first->CompactionDue(&due1, &error) ||
          !pair_.second->CompactionDue(&due2, &error)) {
        return Failed(error);
      }
      quiet_polls = due1 || due2 ? 0 : quiet_polls + 1;
      if (quiet_polls < 2) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    const double ms = SecondsBetween(start, Clock::now()) * 1e3;
    const bool settled = quiet_polls >= 2;
    out_[name] = {{"ms", ms}, {"settled", settled}};
    fprintf(stderr, "%s: %.0f ms%s\n", name, ms,
            settled ? "" : " (compactions still due)");
    return true;
  }

  struct SentCounters {
    uint64_t batches = 0;
    uint64_t ops = 0;
  };
  // Node 1's batches and operations sent to its peer so far (zeros when the
  // status cannot be read: the column is then left out).
  SentCounters Sent() {
    SentCounters c;
    std::string status, error;
    if (!pair_.first->Property("cairn.replication", &status, &error)) return c;
    const json j = json::parse(status, nullptr, false);
    if (!j.is_object() || !j.contains("peers")) return c;
    for (const json& p : j["peers"]) {
      c.batches += p.value("batches_sent", uint64_t{0});
      c.ops += p.value("ops_sent", uint64_t{0});
    }
    return c;
  }

  bool Sync() {
    // Per (system, clients): every sample of every round.
    std::map<std::pair<std::string, int>, std::vector<uint64_t>> samples;
    std::map<std::pair<std::string, int>, uint64_t> timeouts;
    std::map<int, SentCounters> sent;  // cairn_sync, by clients
    // Whatever the earlier runs left in flight reaches the peer first, so
    // that sync writes do not wait behind an async backlog.
    if (!Drain("sync_drain_ms") || !Settle("sync_settle")) return false;
    std::vector<std::string> systems;
    systems.push_back("cairn_sync");
    systems.push_back("cairn_async");  // the floor at the same concurrency
    out_["sync_mode_by"] = "write options (ABI 1.3)";
    if (redis_ != nullptr) systems.push_back("redis_wait");
    std::mt19937 rng(6);
    for (int round = 0; round < f_.rounds; ++round) {
      for (int clients : f_.clients) {
        std::shuffle(systems.begin(), systems.end(), rng);
        for (const std::string& system : systems) {
          std::string error;
          std::vector<uint64_t>* ns = &samples[{system, clients}];
          SentCounters before;
          if (system == "cairn_sync") before = Sent();
          const bool ok =
              system != "redis_wait"
                  ? SyncLatency(pair_.first.get(), clients, f_.sync_seconds,
                                NextKeyBase(), ns, &timeouts[{system, clients}],
                                &error, system == "cairn_sync") &&
                        (system == "cairn_sync" || Drain("p6_async_drain_ms"))
                  : RedisState(true, &error) && redis_->Flush(&error) &&
                        redis_->SetWaitLatency(clients, f_.sync_seconds,
                                               NextKeyBase(), ns, &error);
          if (!ok) return Failed(system + ": " + error);
          if (system == "cairn_sync") {
            const SentCounters after = Sent();
            sent[clients].batches += after.batches - before.batches;
            sent[clients].ops += after.ops - before.ops;
          }
        }
      }
    }
    out_["sync"] = json::array();
    for (auto& [key, ns] : samples) {
      const LatencySummary s = Summarize(&ns);
      fprintf(stderr, "%-10s %2d clients: p50 %8.1f us p99 %8.1f us (%llu)\n",
              key.first.c_str(), key.second, s.p50_us, s.p99_us,
              static_cast<unsigned long long>(s.count));
      json row = LatencyJson(s);
      row["system"] = key.first;
      row["clients"] = key.second;
      row["timeouts"] = timeouts[key];
      if (key.first == "cairn_sync" && sent[key.second].batches > 0) {
        // Writes per batch sent to the peer: how far writers share trips.
        row["ops_per_batch"] = static_cast<double>(sent[key.second].ops) /
                               static_cast<double>(sent[key.second].batches);
      }
      // Completed puts per second across the writers: rising with the
      // writers means they share round trips.
      row["per_sec"] = static_cast<double>(s.count) /
                       (f_.sync_seconds * static_cast<double>(f_.rounds));
      out_["sync"].push_back(row);
    }
    return true;
  }

  const Flags f_;
  json out_;
  std::string first_error_;
  uint64_t key_base_ = 0;
  std::unique_ptr<CairnNode> single_;
  NodePair pair_;
  std::unique_ptr<RedisAnchor> redis_;
  // run.sh starts the replica following the master; whether it is online
  // yet is unknown until the first Attach.
  std::optional<bool> redis_attached_;
};

int Gc() {
  uint32_t removed = 0;
  char* err = nullptr;
  const cairn_status_t s = cairn_gc_segments(&removed, &err);
  if (s != CAIRN_OK) {
    fprintf(stderr, "cairn_gc_segments: %s\n", err != nullptr ? err : "");
  }
  cairn_free(err);
  return s == CAIRN_OK ? 0 : 1;
}

}  // namespace
}  // namespace cairn_repl

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--gc") return cairn_repl::Gc();
  return cairn_repl::Bench(cairn_repl::ParseFlags(argc, argv)).Run();
}
