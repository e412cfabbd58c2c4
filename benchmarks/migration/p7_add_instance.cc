// cairn_p7 — P7 (BENCHMARKS.md): add a cache instance under a zipfian read
// load, and record hit ratio and throughput every interval, for three
// strategies in the same run:
//
//   cairn       THE PRODUCT, through the C ABI (libcairn.so): cairn_open with
//               cache.instances / cache.capacity_mb, cairn_get, then
//               cairn_cache_add_instance. Hits and misses are deltas of the
//               "cairn.cache" property's totals; the migration state comes
//               from "cairn.migration". The migration runs at Cairn's default
//               migration.rate_items_per_sec unless --migration-rate is given.
//   consistent  SIMULATION: the same ShmInstance and ring::Ring code the
//               engine uses, driven directly by this program: keys routed by
//               Ring::IndexFor, the add is Ring::WithAdded, and there is NO
//               migration: items left in their old owner are never read again.
//   modulo      SIMULATION: the same ShmInstance code, keys routed by
//               hash % N (N = 4, then 5): most keys change owner at the add.
//
// In both simulations a miss reads the record from a Cairn database opened
// with cache.capacity_mb=0 (so LevelDB with the same options and record
// format as the product's miss path) and fills the owner with
// BeginFill/Fill, as engine/db.cc Db::Get does. Simulated hits skip the C ABI
// and the route lock (they still copy the value into a malloc'd buffer, as
// cairn_get does), so their absolute throughput is a little flattering;
// compare each strategy's throughput with its own steady state.
//
// Data set: N records (default 1M) with 16-byte keys and 100-byte values
// (workload.h). Each strategy starts from an empty cache of `instances`
// instances (default 4) of `instance_mb` MiB each (default: 256 bytes per
// record over the 4, so the data set fits at about half full, and still
// fits in 5), loads it with one sequential read of every key, runs the
// zipfian (theta 0.99) reader threads for a warm-up and a "before" window,
// adds one instance of the same size, and keeps reading for the "after"
// window. Every reader checks every value it gets.
//
// Writes <out>/p7_timeseries.csv and <out>/p7.json (configuration, series
// and summary); plot_p7.py turns them into a PNG and a Markdown summary.
//
// Summary, per strategy:
//   steady_hit_ratio   hits / (hits + misses) over the "before" window
//   min_after          lowest interval hit ratio after the add, also as a
//                      fraction of steady
//   recovery_s         end of the last interval after the add whose hit
//                      ratio is below 99% of steady (0: never below; null:
//                      still below at the end of the window)
//   cairn only: migration duration (finished_ms - started_ms of
//               "cairn.migration"), whether it finished on its own within
//               the window, and the items moved lazily / by the mover.
//
// Cleanup: everything goes in a fresh directory (mkdtemp under --dir,
// default /tmp). The work runs in a child process; the parent waits for it
// and then, however the child ended (even killed), destroys the databases
// with cairn_destroy (which removes their shared-memory segments), removes
// the directory and unlinks the child's simulation segments
// (/dev/shm/cairn-p7-<child pid>-*). If the parent itself is killed, the
// child gets SIGTERM (PR_SET_PDEATHSIG) and cleans up on its own.
//
// Options (flags override environment variables; defaults in brackets):
//   --keys=N              CAIRN_P7_KEYS          records [1000000]
//   --instances=N         CAIRN_P7_INSTANCES     instances before the add [4]
//   --instance-mb=N       CAIRN_P7_INSTANCE_MB   MiB per instance [auto]
//   --warmup-s=S          CAIRN_P7_WARMUP_S      zipfian warm-up [2]
//   --before-s=S          CAIRN_P7_BEFORE_S      steady window [5]
//   --after-s=S           CAIRN_P7_AFTER_S       window after the add [20]
//   --interval-ms=N       CAIRN_P7_INTERVAL_MS   sampling interval [100]
//   --threads=N           CAIRN_P7_THREADS       reader threads [1]
//   --strategies=a,b,c    CAIRN_P7_STRATEGIES    [cairn,consistent,modulo]
//   --migration-rate=N    CAIRN_P7_MIGRATION_RATE  Cairn's
//                         migration.rate_items_per_sec [Cairn's default]
//   --migration-wait-s=S  CAIRN_P7_MIGRATION_WAIT_S  how long to wait after
//                         the window for an unfinished migration [60]
//   --out=DIR             CAIRN_P7_OUT           results [p7_results]
//   --dir=DIR             CAIRN_P7_DIR           parent of the temp dir [/tmp]
//   CAIRN_P7_NO_WATCHDOG=1  run in-process (for a debugger); cleanup is then
//                           done only on a normal exit or SIGINT/SIGTERM.
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cairn/cairn.h"
#include "compaction_wait.h"
#include "engine/cache/placement.h"
#include "engine/cache/shm_instance.h"
#include "engine/ring/ring.h"
#include "nlohmann/json.hpp"
#include "workload.h"

namespace p7 {
namespace {

using Clock = std::chrono::steady_clock;
using cairn::Version;
using cairn::cache::ShmInstance;
using json = nlohmann::ordered_json;

// Set by SIGINT/SIGTERM in the worker: phases end early, cleanup runs.
volatile sig_atomic_t g_stop = 0;

[[noreturn]] void Die(const std::string& what) {
  throw std::runtime_error(what);
}

// ---- Configuration ------------------------------------------------------

struct Config {
  uint64_t keys = 1000000;
  uint32_t instances = 4;
  uint64_t instance_mb = 0;  // 0: auto
  double warmup_s = 2;
  double before_s = 5;
  double after_s = 20;
  uint32_t interval_ms = 100;
  int threads = 1;
  std::vector<std::string> strategies = {"cairn", "consistent", "modulo"};
  uint64_t migration_rate = 0;  // 0: Cairn's default
  double migration_wait_s = 60;
  std::string out = "p7_results";
  std::string dir = "/tmp";
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void SetOption(Config* c, const std::string& name, const std::string& v) {
  auto u64 = [&] {
    char* end = nullptr;
    errno = 0;
    unsigned long long x = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-') {
      Die("option " + name + ": not a non-negative integer: '" + v + "'");
    }
    return static_cast<uint64_t>(x);
  };
  auto dbl = [&] {
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(x >= 0)) {
      Die("option " + name + ": not a non-negative number: '" + v + "'");
    }
    return x;
  };
  if (name == "keys") {
    c->keys = u64();
  } else if (name == "instances") {
    c->instances = static_cast<uint32_t>(u64());
  } else if (name == "instance-mb") {
    c->instance_mb = u64();
  } else if (name == "warmup-s") {
    c->warmup_s = dbl();
  } else if (name == "before-s") {
    c->before_s = dbl();
  } else if (name == "after-s") {
    c->after_s = dbl();
  } else if (name == "interval-ms") {
    c->interval_ms = static_cast<uint32_t>(u64());
  } else if (name == "threads") {
    c->threads = static_cast<int>(u64());
  } else if (name == "strategies") {
    c->strategies = Split(v);
  } else if (name == "migration-rate") {
    c->migration_rate = u64();
  } else if (name == "migration-wait-s") {
    c->migration_wait_s = dbl();
  } else if (name == "out") {
    c->out = v;
  } else if (name == "dir") {
    c->dir = v;
  } else {
    Die("unknown option --" + name + " (see the top of p7_add_instance.cc)");
  }
}

Config ParseConfig(int argc, char** argv) {
  Config c;
  static const char* const kNames[] = {
      "keys",     "instances",  "instance-mb",    "warmup-s",
      "before-s", "after-s",    "interval-ms",    "threads",
      "strategies", "migration-rate", "migration-wait-s", "out", "dir"};
  for (const char* name : kNames) {
    std::string env = "CAIRN_P7_";
    for (const char* p = name; *p; ++p) {
      env += *p == '-' ? '_' : static_cast<char>(std::toupper(*p));
    }
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v) {
      SetOption(&c, name, v);
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: cairn_p7 [--keys=N] [--instances=N] [--instance-mb=N]\n"
          "  [--warmup-s=S] [--before-s=S] [--after-s=S] [--interval-ms=N]\n"
          "  [--threads=N] [--strategies=cairn,consistent,modulo]\n"
          "  [--migration-rate=N] [--migration-wait-s=S] [--out=DIR] "
          "[--dir=DIR]\n(see the top of p7_add_instance.cc)\n");
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0 || arg.find('=') == std::string::npos) {
      Die("bad argument '" + arg + "': expected --name=value");
    }
    const size_t eq = arg.find('=');
    SetOption(&c, arg.substr(2, eq - 2), arg.substr(eq + 1));
  }
  if (c.keys < 16) Die("--keys must be at least 16");
  if (c.instances < 1 || c.instances > 64) Die("--instances must be 1..64");
  if (c.threads < 1 || c.threads > 16) Die("--threads must be 1..16");
  if (c.interval_ms < 10) Die("--interval-ms must be at least 10");
  for (const std::string& s : c.strategies) {
    if (s != "cairn" && s != "consistent" && s != "modulo") {
      Die("unknown strategy '" + s + "' (cairn, consistent, modulo)");
    }
  }
  if (c.instance_mb == 0) {
    // 256 bytes per record over the initial instances: a record takes ~136
    // bytes (20-byte header + 16 + 100), so ~55% full before the add.
    const uint64_t bytes = c.keys * 256 / c.instances;
    c.instance_mb = std::max<uint64_t>(1, (bytes + (1 << 20) - 1) >> 20);
  }
  return c;
}

// ---- A Cairn database through the C ABI ----------------------------------

std::string TakeMessage(char* message) {
  std::string s = message != nullptr ? message : "(no message)";
  cairn_free(message);
  return s;
}

class CairnDb {
 public:
  CairnDb(const std::string& path,
          const std::vector<std::pair<std::string, std::string>>& options) {
    cairn_options_t* o = cairn_options_create();
    for (const auto& [name, value] : options) {
      char* err = nullptr;
      if (cairn_options_set(o, name.c_str(), value.c_str(), &err) !=
          CAIRN_OK) {
        cairn_options_destroy(o);
        Die("cairn_options_set(" + name + "=" + value +
            "): " + TakeMessage(err));
      }
    }
    char* err = nullptr;
    cairn_status_t s = cairn_open(o, path.c_str(), &db_, &err);
    cairn_options_destroy(o);
    if (s != CAIRN_OK) {
      Die("cairn_open(" + path + "): " + cairn_status_name(s) + ": " +
          TakeMessage(err));
    }
  }
  ~CairnDb() { cairn_close(db_); }
  CairnDb(const CairnDb&) = delete;
  CairnDb& operator=(const CairnDb&) = delete;

  cairn_db_t* get() const { return db_; }

  bool Property(const std::string& name, std::string* out) {
    char* value = nullptr;
    char* err = nullptr;
    if (cairn_property(db_, name.c_str(), &value, &err) != CAIRN_OK) {
      cairn_free(err);
      return false;
    }
    out->assign(value);
    cairn_free(value);
    return true;
  }
  json PropertyJson(const std::string& name) {
    std::string text;
    if (!Property(name, &text)) Die("cairn_property(" + name + ") failed");
    return json::parse(text);
  }

 private:
  cairn_db_t* db_ = nullptr;
};

std::string LevelDbOptionsNote() {
  return "LevelDB options: Cairn's defaults (same database for all "
         "strategies)";
}

// Loads records [0, keys) into the database at `path` (no cache).
void LoadDatabase(const Config& cfg, const std::string& path,
                  const cairn_bench::ValuePool& pool) {
  CairnDb db(path, {{"create_if_missing", "1"}, {"cache.capacity_mb", "0"}});
  cairn_writebatch_t* batch = cairn_writebatch_create();
  char key[cairn_bench::kKeySize];
  for (uint64_t i = 0; i < cfg.keys; ++i) {
    cairn_bench::FormatKey(cairn_bench::PresentIndex(i), key);
    const std::string_view v = pool.Value(i);
    char* err = nullptr;
    if (cairn_writebatch_put(batch, key, sizeof(key), v.data(), v.size(),
                             &err) != CAIRN_OK) {
      Die("cairn_writebatch_put: " + TakeMessage(err));
    }
    if (cairn_writebatch_count(batch) == 1000 || i + 1 == cfg.keys) {
      if (cairn_write(db.get(), nullptr, batch, &err) != CAIRN_OK) {
        Die("cairn_write: " + TakeMessage(err));
      }
      cairn_writebatch_clear(batch);
    }
  }
  cairn_writebatch_destroy(batch);
  cairn_bench::WaitForCompactions(db);
}

// ---- Strategies -----------------------------------------------------------

enum class ReadResult { kHit, kMiss, kUnknown, kError };

struct MigrationInfo {
  std::string state = "none";  // "stable", "migrating"; "none" for sims
  uint64_t moved_total = 0, moved_lazy = 0, moved_mover = 0;
  uint64_t remaining = 0, started_ms = 0, finished_ms = 0, rate = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual const char* name() const = 0;
  virtual bool simulated() const = 0;
  virtual std::string description() const = 0;
  // One read of record `index`; thread-safe. kUnknown: the store does not
  // say whether it hit (the product; counts come from its property).
  virtual ReadResult Read(uint64_t index, std::string_view key) = 0;
  // Adds one instance (called once, on its own thread, under load).
  virtual void AddInstance() = 0;
  // Cumulative cache hits and misses, if the store counts them itself.
  virtual bool CacheCounts(uint64_t* hits, uint64_t* misses) { return false; }
  virtual uint64_t CachedItems() = 0;
  virtual uint32_t Instances() = 0;
  virtual MigrationInfo Migration() { return {}; }
};

bool ValueOk(const cairn_bench::ValuePool& pool, uint64_t index,
             const char* v, size_t n) {
  const std::string_view want = pool.Value(index);
  return n == want.size() && std::memcmp(v, want.data(), n) == 0;
}

// The product, through the C ABI.
class CairnStrategy : public Strategy {
 public:
  CairnStrategy(const Config& cfg, const std::string& path,
                const cairn_bench::ValuePool& pool)
      : cfg_(cfg), pool_(pool), db_(path, Options(cfg)) {
    cairn_bench::WaitForCompactions(db_);
    json cache = db_.PropertyJson("cairn.cache");
    for (const json& inst : cache["instances"]) {
      if (inst.value("state", "") != "ok") {
        Die("Cairn cache instance " + inst.dump() + " is not usable");
      }
    }
  }
  const char* name() const override { return "cairn"; }
  bool simulated() const override { return false; }
  std::string description() const override {
    return "Cairn (the product, C ABI): ring + lazy and background "
           "migration, cairn_cache_add_instance";
  }

  ReadResult Read(uint64_t index, std::string_view key) override {
    char* value = nullptr;
    size_t len = 0;
    char* err = nullptr;
    cairn_status_t s =
        cairn_get(db_.get(), nullptr, key.data(), key.size(), &value, &len,
                  &err);
    if (s != CAIRN_OK) {
      cairn_free(err);
      return ReadResult::kError;
    }
    const bool ok = ValueOk(pool_, index, value, len);
    cairn_free(value);
    return ok ? ReadResult::kUnknown : ReadResult::kError;
  }

  void AddInstance() override {
    uint32_t id = 0;
    char* err = nullptr;
    cairn_status_t s = cairn_cache_add_instance(
        db_.get(), cfg_.instance_mb << 20, &id, &err);
    if (s != CAIRN_OK) {
      add_error_ = std::string("cairn_cache_add_instance: ") +
                   cairn_status_name(s) + ": " + TakeMessage(err);
    }
  }
  const std::string& add_error() const { return add_error_; }

  bool CacheCounts(uint64_t* hits, uint64_t* misses) override {
    json c = db_.PropertyJson("cairn.cache");
    *hits = c["total"]["hits"].get<uint64_t>();
    *misses = c["total"]["misses"].get<uint64_t>();
    return true;
  }
  uint64_t CachedItems() override {
    return db_.PropertyJson("cairn.cache")["total"]["items"].get<uint64_t>();
  }
  uint32_t Instances() override {
    return static_cast<uint32_t>(
        db_.PropertyJson("cairn.migration")["instances"].size());
  }
  MigrationInfo Migration() override {
    json m = db_.PropertyJson("cairn.migration");
    MigrationInfo i;
    i.state = m["state"].get<std::string>();
    i.moved_total = m["moved_total"].get<uint64_t>();
    i.moved_lazy = m["moved_lazy"].get<uint64_t>();
    i.moved_mover = m["moved_mover"].get<uint64_t>();
    i.remaining = m["remaining_estimate"].get<uint64_t>();
    i.started_ms = m["started_ms"].get<uint64_t>();
    i.finished_ms = m["finished_ms"].get<uint64_t>();
    i.rate = m["rate_items_per_sec"].get<uint64_t>();
    return i;
  }

 private:
  static std::vector<std::pair<std::string, std::string>> Options(
      const Config& cfg) {
    std::vector<std::pair<std::string, std::string>> o = {
        {"cache.instances", std::to_string(cfg.instances)},
        {"cache.capacity_mb", std::to_string(cfg.instance_mb * cfg.instances)},
    };
    if (cfg.migration_rate != 0) {
      o.emplace_back("migration.rate_items_per_sec",
                     std::to_string(cfg.migration_rate));
    }
    return o;
  }

  const Config& cfg_;
  const cairn_bench::ValuePool& pool_;
  CairnDb db_;
  std::string add_error_;
};

// The simulations: ShmInstances routed by this program.
class SimStrategy : public Strategy {
 public:
  enum class Routing { kRing, kModulo };

  SimStrategy(const Config& cfg, Routing routing, const std::string& db_path,
              const cairn_bench::ValuePool& pool)
      : cfg_(cfg),
        routing_(routing),
        pool_(pool),
        backing_(db_path, {{"cache.capacity_mb", "0"}}) {
    cairn_bench::WaitForCompactions(backing_);
    std::vector<cairn::ring::Member> members;
    for (uint32_t i = 0; i < cfg.instances; ++i) {
      OpenInstance(i);
      members.push_back({i, cfg.instance_mb << 20});
    }
    auto route = std::make_unique<Route>();
    route->routing = routing_;
    absl::StatusOr<cairn::ring::Ring> ring =
        cairn::ring::Ring::Create(std::move(members));
    if (!ring.ok()) Die("Ring::Create: " + ring.status().ToString());
    route->ring = *std::move(ring);
    route->instances = RawInstances();
    Publish(std::move(route));
  }

  ~SimStrategy() override {
    for (Slot& s : slots_) {
      s.instance.reset();
      (void)ShmInstance::Remove(s.name);
    }
  }

  const char* name() const override {
    return routing_ == Routing::kRing ? "consistent" : "modulo";
  }
  bool simulated() const override { return true; }
  std::string description() const override {
    return routing_ == Routing::kRing
               ? "SIMULATED consistent hashing without migration: the same "
                 "ShmInstance + ring::Ring code (Ring::WithAdded), moved "
                 "keys refetched from LevelDB"
               : "SIMULATED modulo rehashing: the same ShmInstance code "
                 "routed by hash % N, moved keys refetched from LevelDB";
  }

  ReadResult Read(uint64_t index, std::string_view key) override {
    const uint64_t hash = cairn::cache::KeyHash(key);
    ShmInstance* owner =
        route_.load(std::memory_order_acquire)->Owner(hash);
    thread_local std::string value;
    Version version;
    if (owner->Get(key, &value, &version)) {
      // cairn_get hands the value out in a malloc'd buffer: do the same.
      char* copy = static_cast<char*>(std::malloc(value.size() + 1));
      std::memcpy(copy, value.data(), value.size());
      const bool ok = ValueOk(pool_, index, copy, value.size());
      std::free(copy);
      return ok ? ReadResult::kHit : ReadResult::kError;
    }
    // Miss: as Db::Get, BeginFill before the LevelDB read, Fill after.
    const cairn::cache::FillToken token = owner->BeginFill(key);
    char* v = nullptr;
    size_t len = 0;
    char* err = nullptr;
    if (cairn_get(backing_.get(), nullptr, key.data(), key.size(), &v, &len,
                  &err) != CAIRN_OK) {
      cairn_free(err);
      return ReadResult::kError;
    }
    // There are no writes in this benchmark, so any fixed version will do.
    owner->Fill(key, std::string_view(v, len), Version{1, 1}, token);
    const bool ok = ValueOk(pool_, index, v, len);
    cairn_free(v);
    return ok ? ReadResult::kMiss : ReadResult::kError;
  }

  void AddInstance() override {
    const uint32_t id = static_cast<uint32_t>(slots_.size());
    OpenInstance(id);
    const Route* old = route_.load(std::memory_order_acquire);
    auto route = std::make_unique<Route>();
    route->routing = routing_;
    absl::StatusOr<cairn::ring::Ring> ring =
        old->ring.WithAdded({id, cfg_.instance_mb << 20});
    if (!ring.ok()) Die("Ring::WithAdded: " + ring.status().ToString());
    route->ring = *std::move(ring);
    route->instances = RawInstances();
    // How much of the key space changed owner (printed for the record).
    uint32_t moved = 0;
    for (uint32_t b = 0; b < cairn::ring::kBuckets; ++b) {
      if (routing_ == Routing::kRing &&
          old->ring.members()[old->ring.table()[b]].id !=
              route->ring.members()[route->ring.table()[b]].id) {
        ++moved;
      }
    }
    ring_moved_share_ = static_cast<double>(moved) / cairn::ring::kBuckets;
    Publish(std::move(route));
  }

  double ring_moved_share() const { return ring_moved_share_; }

  uint64_t CachedItems() override {
    uint64_t n = 0;
    for (Slot& s : slots_) n += s.instance->Stats().items;
    return n;
  }
  uint64_t Evictions() {
    uint64_t n = 0;
    for (Slot& s : slots_) n += s.instance->Stats().evictions;
    return n;
  }
  uint32_t Instances() override {
    return static_cast<uint32_t>(
        route_.load(std::memory_order_acquire)->instances.size());
  }

 private:
  struct Slot {
    std::string name;
    std::unique_ptr<ShmInstance> instance;
  };
  struct Route {
    Routing routing;
    cairn::ring::Ring ring;
    std::vector<ShmInstance*> instances;
    ShmInstance* Owner(uint64_t hash) const {
      if (routing == Routing::kRing) return instances[ring.IndexFor(hash)];
      // hash % N, on the hash remixed as the ring remixes it, so the choice
      // of instance is independent of the bits an instance uses for its own
      // index buckets and tags (plain XXH3 % N would skew those).
      const uint64_t mixed =
          ((hash ^ (hash >> 31)) * 0x9e3779b97f4a7c15ull) >> 32;
      return instances[mixed % instances.size()];
    }
  };

  void OpenInstance(uint32_t i) {
    Slot s;
    s.name = "/cairn-p7-" + std::to_string(getpid()) + "-" + name() + "-" +
             std::to_string(i);
    (void)ShmInstance::Remove(s.name);
    cairn::cache::InstanceConfig c;
    c.segment_name = s.name;
    c.capacity_bytes = cfg_.instance_mb << 20;
    c.max_item_size = 64 << 10;  // Cairn's cache.max_item_size default
    absl::StatusOr<std::unique_ptr<ShmInstance>> inst = ShmInstance::Open(c);
    if (!inst.ok()) {
      (void)ShmInstance::Remove(s.name);
      Die("ShmInstance::Open(" + s.name + "): " + inst.status().ToString());
    }
    s.instance = *std::move(inst);
    slots_.push_back(std::move(s));
  }
  std::vector<ShmInstance*> RawInstances() const {
    std::vector<ShmInstance*> out;
    for (const Slot& s : slots_) out.push_back(s.instance.get());
    return out;
  }
  void Publish(std::unique_ptr<Route> route) {
    route_.store(route.get(), std::memory_order_release);
    routes_.push_back(std::move(route));  // readers may still use old ones
  }

  const Config& cfg_;
  const Routing routing_;
  const cairn_bench::ValuePool& pool_;
  CairnDb backing_;
  std::vector<Slot> slots_;  // changed only before readers start, or by the
                             // add (readers see it through the new route)
  std::vector<std::unique_ptr<Route>> routes_;
  std::atomic<const Route*> route_{nullptr};
  double ring_moved_share_ = 0;
};

// ---- The run ----------------------------------------------------------------

struct alignas(64) ReaderCounters {
  std::atomic<uint64_t> ops{0}, hits{0}, misses{0}, errors{0};
};

struct Sample {
  std::string phase;
  double t_start = 0, t_end = 0;  // seconds relative to the add
  uint64_t ops = 0, hits = 0, misses = 0;
  uint32_t instances = 0;
  MigrationInfo migration;
  double hit_ratio() const {
    return hits + misses == 0 ? NAN
                              : static_cast<double>(hits) / (hits + misses);
  }
  double ops_per_sec() const { return ops / (t_end - t_start); }
};

struct Result {
  std::string name, description;
  bool simulated = false;
  uint32_t instances_before = 0, instances_after = 0;
  uint64_t items_after_load = 0;
  double load_s = 0, add_call_ms = 0;
  double ring_moved_share = NAN;
  std::vector<Sample> series;
  uint64_t errors = 0;
  // Cairn only.
  std::string add_error;
  MigrationInfo migration_end;
  bool migration_finished = false, migration_finished_in_window = false;
  double migration_end_t = NAN;  // seconds after the add
  json summary;
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

uint64_t WallMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void Summarize(Result* r, const Config& cfg) {
  uint64_t hits = 0, misses = 0, ops = 0;
  double secs = 0;
  for (const Sample& s : r->series) {
    if (s.phase != "before") continue;
    hits += s.hits;
    misses += s.misses;
    ops += s.ops;
    secs += s.t_end - s.t_start;
  }
  json& j = r->summary;
  const double steady =
      hits + misses == 0 ? NAN : static_cast<double>(hits) / (hits + misses);
  const double steady_ops = secs > 0 ? ops / secs : NAN;
  j["steady_hit_ratio"] = steady;
  j["steady_ops_per_sec"] = steady_ops;
  double min_ratio = INFINITY, min_at = NAN, min_ops = INFINITY;
  std::optional<double> recovery = 0.0;
  double last_end = 0;
  for (const Sample& s : r->series) {
    if (s.phase != "after") continue;
    const double hr = s.hit_ratio();
    if (!std::isnan(hr) && hr < min_ratio) {
      min_ratio = hr;
      min_at = s.t_end;
    }
    min_ops = std::min(min_ops, s.ops_per_sec());
    if (!std::isnan(hr) && hr < 0.99 * steady) recovery = s.t_end;
    last_end = s.t_end;
  }
  if (recovery && *recovery >= last_end && last_end > 0) recovery.reset();
  j["min_hit_ratio_after"] = min_ratio;
  j["min_hit_ratio_after_t_s"] = min_at;
  j["min_after_pct_of_steady"] = 100.0 * min_ratio / steady;
  j["min_ops_after_pct_of_steady"] = 100.0 * min_ops / steady_ops;
  if (recovery) {
    j["recovery_to_99pct_s"] = *recovery;
  } else {
    j["recovery_to_99pct_s"] = nullptr;  // not within the window
  }
  j["window_after_s"] = cfg.after_s;
  j["add_call_ms"] = r->add_call_ms;
  if (!r->simulated) {
    const MigrationInfo& m = r->migration_end;
    j["migration_finished"] = r->migration_finished;
    j["migration_finished_in_window"] = r->migration_finished_in_window;
    if (r->migration_finished && m.started_ms != 0) {
      j["migration_duration_s"] = (m.finished_ms - m.started_ms) / 1000.0;
    } else {
      j["migration_duration_s"] = nullptr;
    }
    j["migration_end_t_s"] = r->migration_end_t;
    j["migration_rate_items_per_sec"] = m.rate;
    j["moved_lazy"] = m.moved_lazy;
    j["moved_mover"] = m.moved_mover;
    j["moved_total"] = m.moved_total;
    j["p7_goal_met"] = r->migration_finished &&
                       100.0 * min_ratio / steady >= 90.0;
  } else {
    j["ring_moved_share"] = r->ring_moved_share;
  }
}

Result RunStrategy(const Config& cfg, Strategy& st,
                   const cairn_bench::ZipfianGenerator& zipf,
                   const cairn_bench::ValuePool& pool) {
  Result r;
  r.name = st.name();
  r.description = st.description();
  r.simulated = st.simulated();
  std::printf("\n== %s: %s\n", r.name.c_str(), r.description.c_str());
  std::fflush(stdout);

  // Load the cache: one sequential read of every key.
  const Clock::time_point load_start = Clock::now();
  {
    char key[cairn_bench::kKeySize];
    for (uint64_t i = 0; i < cfg.keys && !g_stop; ++i) {
      cairn_bench::FormatKey(cairn_bench::PresentIndex(i), key);
      if (st.Read(i, std::string_view(key, sizeof(key))) ==
          ReadResult::kError) {
        ++r.errors;
      }
    }
  }
  r.load_s = Seconds(Clock::now() - load_start);
  r.items_after_load = st.CachedItems();
  r.instances_before = st.Instances();
  std::printf("   cache loaded in %.1f s: %" PRIu64 " of %" PRIu64
              " records cached in %u instances of %" PRIu64 " MiB\n",
              r.load_s, r.items_after_load, cfg.keys, r.instances_before,
              cfg.instance_mb);
  std::fflush(stdout);

  // Readers.
  std::vector<ReaderCounters> counters(cfg.threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < cfg.threads; ++t) {
    readers.emplace_back([&, t] {
      auto engine = cairn_bench::ThreadEngine(t, /*salt=*/7);
      ReaderCounters& c = counters[t];
      uint64_t ops = 0, hits = 0, misses = 0, errors = 0;
      char key[cairn_bench::kKeySize];
      while (!stop.load(std::memory_order_relaxed)) {
        for (int k = 0; k < 64; ++k) {
          const uint64_t i = zipf.Next(engine);
          cairn_bench::FormatKey(cairn_bench::PresentIndex(i), key);
          switch (st.Read(i, std::string_view(key, sizeof(key)))) {
            case ReadResult::kHit:
              ++hits;
              break;
            case ReadResult::kMiss:
              ++misses;
              break;
            case ReadResult::kUnknown:
              break;
            case ReadResult::kError:
              ++errors;
              break;
          }
          ++ops;
        }
        c.ops.store(ops, std::memory_order_relaxed);
        c.hits.store(hits, std::memory_order_relaxed);
        c.misses.store(misses, std::memory_order_relaxed);
        c.errors.store(errors, std::memory_order_relaxed);
      }
    });
  }

  // Sampling. The add happens right after the sample that ends the
  // "before" window; t = 0 is when the add call starts.
  const auto interval = std::chrono::milliseconds(cfg.interval_ms);
  const int warm_n = static_cast<int>(std::lround(cfg.warmup_s * 1000 / cfg.interval_ms));
  const int before_n = std::max(
      1, static_cast<int>(std::lround(cfg.before_s * 1000 / cfg.interval_ms)));
  const int after_n = std::max(
      1, static_cast<int>(std::lround(cfg.after_s * 1000 / cfg.interval_ms)));
  const Clock::time_point start = Clock::now();
  const Clock::time_point add_at = start + interval * (warm_n + before_n);
  Clock::time_point t_add = add_at;  // replaced by the real call time
  std::thread adder;
  std::atomic<bool> add_done{false};
  uint64_t add_wall_ms = 0;

  auto totals = [&](uint64_t* ops, uint64_t* hits, uint64_t* misses) {
    *ops = *hits = *misses = 0;
    for (ReaderCounters& c : counters) {
      *ops += c.ops.load(std::memory_order_relaxed);
      *hits += c.hits.load(std::memory_order_relaxed);
      *misses += c.misses.load(std::memory_order_relaxed);
    }
    st.CacheCounts(hits, misses);
  };
  uint64_t prev_ops, prev_hits, prev_misses;
  totals(&prev_ops, &prev_hits, &prev_misses);
  Clock::time_point prev_t = Clock::now();

  for (int k = 1; k <= warm_n + before_n + after_n && !g_stop; ++k) {
    std::this_thread::sleep_until(start + interval * k);
    const Clock::time_point now = Clock::now();
    uint64_t ops, hits, misses;
    totals(&ops, &hits, &misses);
    Sample s;
    s.phase = k <= warm_n ? "warmup" : k <= warm_n + before_n ? "before"
                                                              : "after";
    s.t_start = Seconds(prev_t - t_add);
    s.t_end = Seconds(now - t_add);
    s.ops = ops - prev_ops;
    s.hits = hits - prev_hits;
    s.misses = misses - prev_misses;
    s.instances = st.Instances();
    s.migration = st.Migration();
    r.series.push_back(s);
    prev_ops = ops;
    prev_hits = hits;
    prev_misses = misses;
    prev_t = now;
    if (k == warm_n + before_n) {
      // Re-base the times recorded so far on the real start of the add.
      const Clock::time_point call = Clock::now();
      const double shift = Seconds(call - t_add);
      for (Sample& old : r.series) {
        old.t_start -= shift;
        old.t_end -= shift;
      }
      t_add = call;
      add_wall_ms = WallMs();
      adder = std::thread([&] {
        const Clock::time_point c0 = Clock::now();
        st.AddInstance();
        r.add_call_ms = Seconds(Clock::now() - c0) * 1000;
        add_done = true;
      });
    }
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  if (adder.joinable()) adder.join();
  for (ReaderCounters& c : counters) r.errors += c.errors.load();
  r.instances_after = st.Instances();
  if (auto* sim = dynamic_cast<SimStrategy*>(&st)) {
    r.ring_moved_share = sim->name() == std::string("consistent")
                             ? sim->ring_moved_share()
                             : NAN;
  }
  if (auto* cs = dynamic_cast<CairnStrategy*>(&st)) {
    r.add_error = cs->add_error();
    // Did the migration end on its own? Poll (without load) a while.
    MigrationInfo m = st.Migration();
    r.migration_finished_in_window = m.state == "stable" && m.finished_ms != 0;
    const Clock::time_point deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(cfg.migration_wait_s));
    while (m.state != "stable" && Clock::now() < deadline && !g_stop &&
           r.add_error.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      m = st.Migration();
    }
    r.migration_end = m;
    r.migration_finished = m.state == "stable" && m.finished_ms != 0;
    if (r.migration_finished) {
      r.migration_end_t =
          (static_cast<double>(m.finished_ms) - static_cast<double>(add_wall_ms)) /
          1000.0;
    }
  }
  Summarize(&r, cfg);
  return r;
}

// ---- Output -----------------------------------------------------------------

std::string Num(double x, const char* fmt = "%.6g") {
  if (std::isnan(x) || std::isinf(x)) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, x);
  return buf;
}

json SanitizeNan(json j) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) return nullptr;
  if (j.is_object() || j.is_array()) {
    for (auto& v : j) v = SanitizeNan(v);
  }
  return j;
}

void WriteOutputs(const Config& cfg, const std::vector<Result>& results,
                  double total_s) {
  std::filesystem::create_directories(cfg.out);
  const std::string csv_path = cfg.out + "/p7_timeseries.csv";
  {
    std::ofstream csv(csv_path);
    csv << "strategy,simulated,phase,t_start_s,t_end_s,ops,hits,misses,"
           "hit_ratio,ops_per_sec,instances,migration_state,moved_total,"
           "remaining_estimate\n";
    for (const Result& r : results) {
      for (const Sample& s : r.series) {
        csv << r.name << ',' << (r.simulated ? 1 : 0) << ',' << s.phase << ','
            << Num(s.t_start, "%.4f") << ',' << Num(s.t_end, "%.4f") << ','
            << s.ops << ',' << s.hits << ',' << s.misses << ','
            << Num(s.hit_ratio(), "%.6f") << ','
            << Num(s.ops_per_sec(), "%.1f") << ',' << s.instances << ','
            << s.migration.state << ',' << s.migration.moved_total << ','
            << s.migration.remaining << '\n';
      }
    }
    if (!csv) Die("cannot write " + csv_path);
  }
  json j;
  j["benchmark"] = "P7 add a cache instance under load";
  j["note"] =
      "cairn is the product through its C ABI; consistent and modulo are "
      "SIMULATIONS over the same ShmInstance (and ring::Ring) code, with "
      "misses read from a Cairn database with cache.capacity_mb=0";
  j["config"] = {{"keys", cfg.keys},
                 {"key_bytes", cairn_bench::kKeySize},
                 {"value_bytes", cairn_bench::kValueSize},
                 {"distribution", "zipfian"},
                 {"theta", 0.99},
                 {"instances_before", cfg.instances},
                 {"instance_mb", cfg.instance_mb},
                 {"warmup_s", cfg.warmup_s},
                 {"before_s", cfg.before_s},
                 {"after_s", cfg.after_s},
                 {"interval_ms", cfg.interval_ms},
                 {"threads", cfg.threads},
                 {"migration_rate",
                  cfg.migration_rate == 0 ? json("cairn default")
                                          : json(cfg.migration_rate)},
                 {"leveldb", LevelDbOptionsNote()},
                 {"total_run_s", total_s}};
  json list = json::array();
  for (const Result& r : results) {
    json e;
    e["name"] = r.name;
    e["simulated"] = r.simulated;
    e["description"] = r.description;
    e["instances_before"] = r.instances_before;
    e["instances_after"] = r.instances_after;
    e["items_after_load"] = r.items_after_load;
    e["load_s"] = r.load_s;
    e["read_errors"] = r.errors;
    if (!r.add_error.empty()) e["add_error"] = r.add_error;
    e["summary"] = r.summary;
    json series = json::array();
    for (const Sample& s : r.series) {
      json p = {{"phase", s.phase},       {"t_start_s", s.t_start},
                {"t_end_s", s.t_end},     {"ops", s.ops},
                {"hits", s.hits},         {"misses", s.misses},
                {"hit_ratio", s.hit_ratio()},
                {"ops_per_sec", s.ops_per_sec()},
                {"instances", s.instances}};
      if (!r.simulated) {
        p["migration_state"] = s.migration.state;
        p["moved_total"] = s.migration.moved_total;
        p["remaining_estimate"] = s.migration.remaining;
      }
      series.push_back(p);
    }
    e["series"] = series;
    list.push_back(e);
  }
  j["strategies"] = list;
  const std::string json_path = cfg.out + "/p7.json";
  std::ofstream out(json_path);
  out << SanitizeNan(j).dump(1) << '\n';
  if (!out) Die("cannot write " + json_path);
  std::printf("\nwrote %s and %s\n", csv_path.c_str(), json_path.c_str());
}

void PrintSummary(const std::vector<Result>& results) {
  std::printf(
      "\nP7 summary (cairn = product via C ABI; consistent, modulo = "
      "SIMULATED over the same instance code)\n");
  std::printf("%-11s %-9s %8s %10s %9s %11s %11s %9s\n", "strategy", "kind",
              "steady", "min after", "min/stdy", "recover99", "steady op/s",
              "migr s");
  for (const Result& r : results) {
    const json& s = r.summary;
    auto d = [&](const char* k) {
      return s.contains(k) && s[k].is_number() ? s[k].get<double>() : NAN;
    };
    std::string recovery = s["recovery_to_99pct_s"].is_null()
                               ? ">" + Num(d("window_after_s"), "%.0f") + " s"
                               : Num(d("recovery_to_99pct_s"), "%.1f") + " s";
    std::string migr = r.simulated ? "-"
                       : s["migration_duration_s"].is_null()
                           ? "unfinished"
                           : Num(d("migration_duration_s"), "%.2f");
    std::printf("%-11s %-9s %8s %10s %8s%% %11s %11s %9s\n", r.name.c_str(),
                r.simulated ? "simulated" : "product",
                Num(d("steady_hit_ratio"), "%.4f").c_str(),
                Num(d("min_hit_ratio_after"), "%.4f").c_str(),
                Num(d("min_after_pct_of_steady"), "%.1f").c_str(),
                recovery.c_str(), Num(d("steady_ops_per_sec"), "%.0f").c_str(),
                migr.c_str());
    if (!r.simulated) {
      std::printf(
          "   cairn: migration %s; moved lazily %" PRIu64 ", by the mover %" PRIu64
          " (rate %" PRIu64 "/s); add call %.1f ms; P7 goal (min >= 90%% of "
          "steady, migration finishes on its own): %s\n",
          r.migration_finished
              ? (r.migration_finished_in_window ? "finished within the window"
                                                : "finished after the window")
              : "DID NOT FINISH",
          r.migration_end.moved_lazy, r.migration_end.moved_mover,
          r.migration_end.rate, r.add_call_ms,
          s.value("p7_goal_met", false) ? "MET" : "NOT MET");
    } else if (!std::isnan(r.ring_moved_share)) {
      std::printf("   %s: the ring moved %.1f%% of its buckets to the new "
                  "instance\n",
                  r.name.c_str(), 100 * r.ring_moved_share);
    }
    if (r.errors != 0) {
      std::printf("   %s: %" PRIu64 " READ ERRORS (failed or wrong values)\n",
                  r.name.c_str(), r.errors);
    }
    if (!r.add_error.empty()) std::printf("   %s\n", r.add_error.c_str());
  }
  std::fflush(stdout);
}

int Run(const Config& cfg, const std::string& run_dir) {
  const Clock::time_point t0 = Clock::now();
  std::printf(
      "cairn_p7: %" PRIu64 " keys x %zu B, zipfian 0.99, %d reader thread(s); "
      "%u instances of %" PRIu64 " MiB, +1 after %.1f s; %.1f s after; "
      "sampled every %u ms; dir %s\n",
      cfg.keys, cairn_bench::kValueSize, cfg.threads, cfg.instances,
      cfg.instance_mb, cfg.warmup_s + cfg.before_s, cfg.after_s,
      cfg.interval_ms, run_dir.c_str());
  std::fflush(stdout);
  const cairn_bench::ValuePool pool;
  const cairn_bench::ZipfianGenerator zipf(cfg.keys, 0.99);
  const std::string db_path = run_dir + "/db";
  const Clock::time_point l0 = Clock::now();
  LoadDatabase(cfg, db_path, pool);
  std::printf("loaded %" PRIu64 " records in %.1f s\n", cfg.keys,
              Seconds(Clock::now() - l0));

  std::vector<Result> results;
  for (const std::string& name : cfg.strategies) {
    if (g_stop) break;
    if (name == "cairn") {
      {
        CairnStrategy st(cfg, db_path, pool);
        results.push_back(RunStrategy(cfg, st, zipf, pool));
      }
      // Reopening without a cache removes the segments at once.
      CairnDb drop(db_path, {{"cache.capacity_mb", "0"}});
    } else {
      SimStrategy st(cfg,
                     name == "consistent" ? SimStrategy::Routing::kRing
                                          : SimStrategy::Routing::kModulo,
                     db_path, pool);
      results.push_back(RunStrategy(cfg, st, zipf, pool));
    }
  }
  char* err = nullptr;
  if (cairn_destroy(db_path.c_str(), &err) != CAIRN_OK) {
    std::fprintf(stderr, "cairn_destroy(%s): %s\n", db_path.c_str(),
                 TakeMessage(err).c_str());
  }
  if (g_stop) {
    std::fprintf(stderr, "cairn_p7: interrupted\n");
    return 130;
  }
  WriteOutputs(cfg, results, Seconds(Clock::now() - t0));
  PrintSummary(results);
  for (const Result& r : results) {
    if (r.errors != 0 || !r.add_error.empty()) return 1;
  }
  return 0;
}

// ---- Process: worker + watchdog -------------------------------------------

void OnStopSignal(int) { g_stop = 1; }

// Removes what a worker (pid `worker`) may have left behind.
void Cleanup(const std::string& run_dir, pid_t worker) {
  std::error_code ec;
  if (std::filesystem::exists(run_dir + "/db", ec)) {
    char* err = nullptr;
    if (cairn_destroy((run_dir + "/db").c_str(), &err) != CAIRN_OK) {
      std::fprintf(stderr, "cleanup: cairn_destroy: %s\n",
                   TakeMessage(err).c_str());
    }
  }
  std::filesystem::remove_all(run_dir, ec);
  const std::string prefix = "cairn-p7-" + std::to_string(worker) + "-";
  if (DIR* d = opendir("/dev/shm")) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      if (std::string_view(e->d_name).substr(0, prefix.size()) == prefix) {
        names.push_back(std::string("/") + e->d_name);
      }
    }
    closedir(d);
    for (const std::string& n : names) {
      std::fprintf(stderr, "cleanup: removing leftover segment %s\n",
                   n.c_str());
      shm_unlink(n.c_str());
    }
  }
}

pid_t g_child = 0;
void ForwardSignal(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

int Main(int argc, char** argv) {
  Config cfg;
  try {
    cfg = ParseConfig(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cairn_p7: %s\n", e.what());
    return 2;
  }
  std::string tmpl = cfg.dir + "/cairn_p7.XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::fprintf(stderr, "cairn_p7: mkdtemp(%s): %s\n", tmpl.c_str(),
                 std::strerror(errno));
    return 2;
  }
  const std::string run_dir = tmpl;
  auto work = [&]() -> int {
    struct sigaction sa = {};
    sa.sa_handler = OnStopSignal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    try {
      return Run(cfg, run_dir);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cairn_p7: %s\n", e.what());
      return 1;
    }
  };
  const char* no_watchdog = std::getenv("CAIRN_P7_NO_WATCHDOG");
  if (no_watchdog != nullptr && *no_watchdog != '\0' &&
      std::strcmp(no_watchdog, "0") != 0) {
    const int rc = work();
    Cleanup(run_dir, getpid());
    return rc;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "cairn_p7: fork: %s\n", std::strerror(errno));
    std::filesystem::remove_all(run_dir);
    return 2;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the parent died already
    const int rc = work();
    Cleanup(run_dir, getpid());  // in case the watchdog is gone
    std::fflush(stdout);
    std::fflush(stderr);
    // Do not run the watchdog's exit handlers twice.
    _exit(rc);
  }
  g_child = child;
  struct sigaction sa = {};
  sa.sa_handler = ForwardSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  Cleanup(run_dir, child);
  if (WIFSIGNALED(status)) {
    std::fprintf(stderr, "cairn_p7: worker killed by signal %d (%s)\n",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    return 128 + WTERMSIG(status);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace
}  // namespace p7

int main(int argc, char** argv) { return p7::Main(argc, argv); }
