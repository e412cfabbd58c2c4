#include "audit_routed_benchmark.h"

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "cairn/cairn.h"
#include "nlohmann/json.hpp"
#include "workload.h"

namespace cairn_bench {
namespace {

// Keys the gets read (all loaded before the first run) and the puts cycle
// over (so the database does not grow with the run's length).
constexpr uint64_t kKeys = 20000;

[[noreturn]] void Die(const char* what, char* err) {
  std::fprintf(stderr, "cairn_audit_bench: %s: %s\n", what,
               err != nullptr ? err : "?");
  std::exit(1);
}

void Set(cairn_options_t* o, const char* name, const std::string& value) {
  char* err = nullptr;
  if (cairn_options_set(o, name, value.c_str(), &err) != CAIRN_OK) {
    Die(name, err);
  }
}

std::string TempDir() {
  const char* base = std::getenv("CAIRN_BENCH_DIR");
  std::string tmpl =
      (base != nullptr && base[0] != '\0'
           ? std::filesystem::path(base)
           : std::filesystem::temp_directory_path()) /
      "cairn-audit-routed-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp", nullptr);
  return tmpl;
}

// The serving node and both clients, made on first use and kept for the
// whole run.
class Routed {
 public:
  Routed() : dir_(TempDir()) {
    cairn_options_t* o = cairn_options_create();
    Set(o, "create_if_missing", "true");
    Set(o, "cache.capacity_mb", "16");
    Set(o, "cache.instances", "1");
    Set(o, "replication.node_id", "1");
    Set(o, "replication.listen", "127.0.0.1:0");
    Set(o, "node.client_idle_ms", "3600000");  // runs of the other client
    char* err = nullptr;
    if (cairn_open(o, (dir_ + "/node").c_str(), &node_, &err) != CAIRN_OK) {
      Die("open the node", err);
    }
    cairn_options_destroy(o);
    Load();
    const std::string nodes = "1@127.0.0.1:" + std::to_string(Port());
    clients_[0] = OpenClient(nodes, "");
    clients_[1] = OpenClient(nodes, dir_ + "/audit");
  }

  ~Routed() {
    for (cairn_cluster_t* c : clients_) cairn_cluster_close(c);
    cairn_close(node_);
    char* err = nullptr;
    if (cairn_destroy((dir_ + "/node").c_str(), &err) != CAIRN_OK) {
      std::fprintf(stderr, "cairn_audit_bench: destroy: %s\n", err);
      cairn_free(err);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  cairn_cluster_t* client(bool audit) { return clients_[audit ? 1 : 0]; }

 private:
  uint16_t Port() {
    char* json = nullptr;
    char* err = nullptr;
    if (cairn_property(node_, "cairn.replication", &json, &err) != CAIRN_OK) {
      Die("cairn.replication", err);
    }
    const nlohmann::json j = nlohmann::json::parse(json);
    cairn_free(json);
    return j.at("listen_port").get<uint16_t>();
  }

  // The records the gets read, written on the node directly.
  void Load() {
    cairn_writebatch_t* b = cairn_writebatch_create();
    cairn_writeoptions_t* wo = cairn_writeoptions_create();
    const std::string value(kValueSize, 'v');
    char key[kKeySize];
    char* err = nullptr;
    for (uint64_t i = 0; i < kKeys; ++i) {
      FormatKey(i, key);
      if (cairn_writebatch_put(b, key, kKeySize, value.data(), value.size(),
                               &err) != CAIRN_OK) {
        Die("batch", err);
      }
      if ((i + 1) % 1000 == 0) {
        if (cairn_write(node_, wo, b, &err) != CAIRN_OK) Die("load", err);
        cairn_writebatch_clear(b);
      }
    }
    cairn_writebatch_destroy(b);
    cairn_writeoptions_destroy(wo);
  }

  cairn_cluster_t* OpenClient(const std::string& nodes,
                              const std::string& audit_path) {
    cairn_options_t* o = cairn_options_create();
    Set(o, "cluster.nodes", nodes);
    Set(o, "cluster.client_id",
        audit_path.empty() ? "bench-audit-off" : "bench-audit-on");
    Set(o, "cluster.op_timeout_ms", "5000");
    if (!audit_path.empty()) Set(o, "audit.path", audit_path);
    cairn_cluster_t* c = nullptr;
    char* err = nullptr;
    if (cairn_cluster_open(o, &c, &err) != CAIRN_OK) Die("cluster open", err);
    cairn_options_destroy(o);
    return c;
  }

  const std::string dir_;
  cairn_db_t* node_ = nullptr;
  cairn_cluster_t* clients_[2] = {nullptr, nullptr};
};

Routed* g_routed = nullptr;

Routed& TheRouted() {
  if (g_routed == nullptr) g_routed = new Routed();
  return *g_routed;
}

void BM_RoutedPut(benchmark::State& state, bool audit) {
  cairn_cluster_t* c = TheRouted().client(audit);
  const std::string value(kValueSize, 'p');
  char key[kKeySize];
  uint64_t i = 0;
  for (auto _ : state) {
    FormatKey(i++ % kKeys, key);
    char* err = nullptr;
    if (cairn_cluster_put(c, nullptr, key, kKeySize, value.data(),
                          value.size(), &err) != CAIRN_OK) {
      state.SkipWithError(err != nullptr ? err : "put failed");
      cairn_free(err);
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RoutedGet(benchmark::State& state, bool audit) {
  cairn_cluster_t* c = TheRouted().client(audit);
  char key[kKeySize];
  uint64_t i = 0;
  for (auto _ : state) {
    // A stride coprime to kKeys: every key once per pass, not in order.
    FormatKey((i++ * 7919) % kKeys, key);
    char* value = nullptr;
    size_t len = 0;
    char* err = nullptr;
    if (cairn_cluster_get(c, key, kKeySize, &value, &len, &err) != CAIRN_OK) {
      state.SkipWithError(err != nullptr ? err : "get failed");
      cairn_free(err);
      break;
    }
    benchmark::DoNotOptimize(value);
    cairn_free(value);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void RegisterRoutedBenchmarks() {
  for (const char* method : {"Put", "Get"}) {
    for (int audit : {0, 1}) {
      const std::string name = std::string("BM_Routed") + method +
                               "/audit:" + std::to_string(audit);
      benchmark::RegisterBenchmark(
          name.c_str(), method[0] == 'P' ? BM_RoutedPut : BM_RoutedGet,
          audit == 1)
          ->UseRealTime();
    }
  }
}

void DestroyRoutedFixture() {
  delete g_routed;
  g_routed = nullptr;
}

}  // namespace cairn_bench
