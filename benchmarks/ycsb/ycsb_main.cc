// cairn_ycsb — YCSB workloads A–F against Cairn and the stores users run
// instead, in one process and one run (see run.sh, which starts the cache
// servers and makes the report).
//
// For every round, every (workload, distribution, threads, store) run is
// done once, in an order shuffled per round, so drift on a shared machine
// hits every store alike; report.py takes the median over rounds and
// reports each store as a ratio to Cairn in the same run. A run lasts
// --seconds of wall time; every 8th operation is timed for the latency
// percentiles. Stores are loaded with --records records once, up front.
//
// Usage: cairn_ycsb --out=FILE.json [--records=N] [--seconds=S]
//   [--rounds=R] [--workloads=ABCDEF] [--distributions=uniform,zipfian]
//   [--threads=1,2] [--stores=cairn,leveldb,...] [--cache-fraction=F]
//   [--redis-port=P] [--memcached-port=P] [--dir=D]
// --cache-fraction: each store's cache budget as a fraction of the data's
// key+value bytes (Cairn's cache, the block cache of LevelDB and RocksDB
// alone; run.sh gives Redis and memcached the same budget).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ycsb_store.h"
#include "ycsb_workload.h"

namespace cairn_ycsb {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string out;
  uint64_t records = 1000000;
  double seconds = 1.0;
  int rounds = 3;
  std::string workloads = "ABCDEF";
  std::vector<std::string> distributions = {"uniform", "zipfian"};
  std::vector<int> threads = {1, 2};
  std::vector<std::string> stores = {"cairn",         "leveldb",
                                     "rocksdb",       "lmdb",
                                     "redis+leveldb", "memcached+leveldb"};
  double cache_fraction = 2.0;
  int redis_port = 0;
  int memcached_port = 0;
  std::string dir;
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

[[noreturn]] void Die(const std::string& what) {
  fprintf(stderr, "cairn_ycsb: %s\n", what.c_str());
  exit(1);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
      Die("expected --name=value, got '" + a + "'");
    }
    const std::string name = a.substr(2, eq - 2), v = a.substr(eq + 1);
    if (name == "out")
      f.out = v;
    else if (name == "records")
      f.records = std::stoull(v);
    else if (name == "seconds")
      f.seconds = std::stod(v);
    else if (name == "rounds")
      f.rounds = std::stoi(v);
    else if (name == "workloads")
      f.workloads = v;
    else if (name == "distributions")
      f.distributions = Split(v);
    else if (name == "threads") {
      f.threads.clear();
      for (const std::string& t : Split(v)) f.threads.push_back(std::stoi(t));
    } else if (name == "stores")
      f.stores = Split(v);
    else if (name == "cache-fraction")
      f.cache_fraction = std::stod(v);
    else if (name == "redis-port")
      f.redis_port = std::stoi(v);
    else if (name == "memcached-port")
      f.memcached_port = std::stoi(v);
    else if (name == "dir")
      f.dir = v;
    else
      Die("unknown flag --" + name);
  }
  if (f.out.empty()) Die("--out is required");
  if (f.records < 100) Die("--records must be at least 100");
  for (char w : f.workloads) {
    Mix4 m;
    if (!WorkloadMix(w, &m)) Die(std::string("unknown workload '") + w + "'");
  }
  for (const std::string& d : f.distributions) {
    if (d != "uniform" && d != "zipfian") Die("unknown distribution " + d);
  }
  return f;
}

// Log-linear latency histogram: 16 sub-buckets per power of two of ns.
class Histogram {
 public:
  void Add(uint64_t ns) {
    ++counts_[Bucket(ns)];
    ++total_;
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  double Percentile(double p) const {
    if (total_ == 0) return 0;
    const uint64_t want = static_cast<uint64_t>(p * (total_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= want) return Upper(i);
    }
    return Upper(counts_.size() - 1);
  }

 private:
  static size_t Bucket(uint64_t ns) {
    if (ns < 16) return ns;
    const int log = 63 - __builtin_clzll(ns);
    const size_t sub = (ns >> (log - 4)) & 15;
    return std::min<size_t>(16 * (log - 3) + sub, kBuckets - 1);
  }
  static double Upper(size_t b) {
    if (b < 16) return b;
    const int log = static_cast<int>(b / 16) + 3;
    const uint64_t sub = b % 16;
    return static_cast<double>((16 + sub + 1) << (log - 4));
  }
  static constexpr size_t kBuckets = 16 * 40;
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kBuckets);
  uint64_t total_ = 0;
};

struct RunResult {
  uint64_t ops = 0;
  uint64_t not_found = 0;
  double seconds = 0;
  Histogram latency;
};

// Runs one thread's operations until `deadline`.
bool RunThread(Session* s, OpStream* ops, Clock::time_point deadline,
               RunResult* out, std::string* error) {
  char key[kKeyBytes], value[kValueBytes];
  std::string read;
  for (uint64_t n = 0;; ++n) {
    // At least 64 operations, even when the thread started late.
    if (n > 0 && (n & 63) == 0 && Clock::now() >= deadline) break;
    const bool timed = (n & 7) == 0;
    const Clock::time_point start = timed ? Clock::now() : Clock::time_point();
    const Op op = ops->NextOp();
    bool found = true;
    bool ok = true;
    switch (op) {
      case Op::kRead:
        FormatKey(ops->NextRecord(), key);
        ok = s->Read({key, kKeyBytes}, &read, &found, error);
        break;
      case Op::kUpdate: {
        const uint64_t r = ops->NextRecord();
        FormatKey(r, key);
        FormatValue(r, ops->Salt(), value);
        ok = s->Write({key, kKeyBytes}, {value, kValueBytes}, error);
        break;
      }
      case Op::kInsert: {
        const uint64_t r = ops->NewRecord();
        FormatKey(r, key);
        FormatValue(r, 0, value);
        ok = s->Write({key, kKeyBytes}, {value, kValueBytes}, error);
        break;
      }
      case Op::kScan: {
        FormatKey(ops->NextRecord(), key);
        int seen = 0;
        ok = s->Scan({key, kKeyBytes}, ops->ScanLength(), &seen, error);
        break;
      }
      case Op::kReadModifyWrite: {
        const uint64_t r = ops->NextRecord();
        FormatKey(r, key);
        ok = s->Read({key, kKeyBytes}, &read, &found, error);
        FormatValue(r, ops->Salt(), value);
        ok = ok && s->Write({key, kKeyBytes}, {value, kValueBytes}, error);
        break;
      }
    }
    if (!ok) return false;
    out->not_found += !found;
    ++out->ops;
    if (timed) {
      out->latency.Add(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() -
                                                               start)
              .count()));
    }
  }
  return true;
}

struct Loaded {
  std::string name;
  std::unique_ptr<Store> store;
  std::atomic<uint64_t> inserted{0};
  double load_seconds = 0;
};

void Load(Loaded* l, uint64_t records) {
  std::string error;
  std::unique_ptr<Session> s = l->store->NewSession(&error);
  if (s == nullptr) Die(l->name + ": " + error);
  char key[kKeyBytes], value[kValueBytes];
  const Clock::time_point start = Clock::now();
  for (uint64_t r = 0; r < records; ++r) {
    FormatKey(r, key);
    FormatValue(r, 0, value);
    if (!s->Load({key, kKeyBytes}, {value, kValueBytes}, &error)) {
      Die(l->name + " load: " + error);
    }
  }
  if (!s->FinishLoad(&error)) Die(l->name + " load: " + error);
  l->load_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  l->inserted = records;
}

}  // namespace
}  // namespace cairn_ycsb

int main(int argc, char** argv) {
  using namespace cairn_ycsb;
  const Flags f = ParseFlags(argc, argv);
  std::string base = f.dir;
  if (base.empty()) {
    char pattern[] = "/tmp/cairn_ycsb_XXXXXX";
    if (mkdtemp(pattern) == nullptr) Die("mkdtemp failed");
    base = pattern;
  }
  const uint64_t data_bytes = f.records * (kKeyBytes + kValueBytes);
  const uint64_t cache_bytes =
      static_cast<uint64_t>(f.cache_fraction * static_cast<double>(data_bytes));

  std::vector<std::unique_ptr<Loaded>> stores;
  nlohmann::json context = {
      {"records", f.records},
      {"key_bytes", kKeyBytes},
      {"value_bytes", kValueBytes},
      {"seconds_per_run", f.seconds},
      {"rounds", f.rounds},
      {"cache_fraction", f.cache_fraction},
      {"cache_bytes", cache_bytes},
      {"hardware_threads", std::thread::hardware_concurrency()},
  };
  {
    std::ifstream la("/proc/loadavg");
    std::string load;
    std::getline(la, load);
    context["loadavg_at_start"] = load;
  }
  for (const std::string& name : f.stores) {
    auto l = std::make_unique<Loaded>();
    l->name = name;
    StoreConfig c;
    c.dir = base + "/" +
            (name == "redis+leveldb"       ? "redis"
             : name == "memcached+leveldb" ? "memcached"
                                           : name);
    c.cache_bytes = cache_bytes;
    c.port = name == "redis+leveldb" ? f.redis_port : f.memcached_port;
    if (name.find('+') != std::string::npos && c.port == 0) {
      Die(name + " needs --" + name.substr(0, name.find('+')) + "-port");
    }
    if (name == "lmdb") mkdir(c.dir.c_str(), 0700);
    std::string error;
    l->store = OpenStore(name, c, &error);
    if (l->store == nullptr) Die(name + ": " + error);
    Load(l.get(), f.records);
    fprintf(stderr, "loaded %s: %llu records in %.2f s (%s)\n", name.c_str(),
            static_cast<unsigned long long>(f.records), l->load_seconds,
            l->store->Describe().c_str());
    context["store." + name] = l->store->Describe();
    context["load_seconds." + name] = l->load_seconds;
    stores.push_back(std::move(l));
  }

  const Zipfian zipf(f.records);
  struct Config {
    char workload;
    std::string distribution;
    int threads;
    size_t store;
  };
  std::vector<Config> configs;
  for (char w : f.workloads) {
    for (const std::string& d : f.distributions) {
      for (int t : f.threads) {
        for (size_t s = 0; s < stores.size(); ++s) {
          configs.push_back({w, d, t, s});
        }
      }
    }
  }
  nlohmann::json runs = nlohmann::json::array();
  std::mt19937_64 shuffle_rng(42);
  for (int round = 0; round < f.rounds; ++round) {
    std::shuffle(configs.begin(), configs.end(), shuffle_rng);
    for (const Config& c : configs) {
      Loaded& l = *stores[c.store];
      std::vector<std::unique_ptr<Session>> sessions;
      std::vector<std::unique_ptr<OpStream>> streams;
      std::vector<RunResult> results(c.threads);
      std::vector<std::string> errors(c.threads);
      for (int t = 0; t < c.threads; ++t) {
        std::string error;
        sessions.push_back(l.store->NewSession(&error));
        if (sessions.back() == nullptr) Die(l.name + ": " + error);
        streams.push_back(std::make_unique<OpStream>(
            c.workload, c.distribution == "zipfian", &zipf, f.records,
            &l.inserted, 1000003ull * round + 7919ull * t + c.workload));
      }
      const Clock::time_point start = Clock::now();
      const Clock::time_point deadline =
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(f.seconds));
      std::vector<std::thread> threads;
      std::atomic<bool> failed{false};
      for (int t = 0; t < c.threads; ++t) {
        threads.emplace_back([&, t] {
          if (!RunThread(sessions[t].get(), streams[t].get(), deadline,
                         &results[t], &errors[t])) {
            failed = true;
          }
        });
      }
      for (std::thread& th : threads) th.join();
      const double elapsed =
          std::chrono::duration<double>(Clock::now() - start).count();
      if (failed) {
        for (const std::string& e : errors) {
          if (!e.empty()) Die(l.name + " workload " + c.workload + ": " + e);
        }
      }
      RunResult total;
      for (const RunResult& r : results) {
        total.ops += r.ops;
        total.not_found += r.not_found;
        total.latency.Merge(r.latency);
      }
      runs.push_back({
          {"store", l.name},
          {"workload", std::string(1, c.workload)},
          {"distribution", c.distribution},
          {"threads", c.threads},
          {"round", round},
          {"ops", total.ops},
          {"not_found", total.not_found},
          {"seconds", elapsed},
          {"ops_per_sec", total.ops / elapsed},
          {"p50_ns", total.latency.Percentile(0.50)},
          {"p99_ns", total.latency.Percentile(0.99)},
          {"p999_ns", total.latency.Percentile(0.999)},
      });
      fprintf(stderr, "round %d %c %-7s %dT %-18s %12.0f ops/s\n", round,
              c.workload, c.distribution.c_str(), c.threads, l.name.c_str(),
              total.ops / elapsed);
    }
  }
  {
    std::ifstream la("/proc/loadavg");
    std::string load;
    std::getline(la, load);
    context["loadavg_at_end"] = load;
  }
  stores.clear();  // closes the databases (run.sh removes --dir)
  std::ofstream out(f.out);
  out << nlohmann::json{{"context", context}, {"runs", runs}}.dump(1) << "\n";
  if (!out) Die("cannot write " + f.out);
  return 0;
}
