// Quick ns/get numbers for tuning the cache instance (not the project's
// benchmark suite, which lives in benchmarks/ and compares against peers).
//
//   shm_instance_microbench [--items=N] [--gets=N]
//
// Loads N items of 16-byte keys and 100-byte values into one instance, then
// times uniform and zipfian (0.99) random gets from 1 and 2 threads, next to
// std::unordered_map<std::string, std::string> in the same run.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/cache/shm_instance.h"

namespace {

using cairn::Version;
using cairn::cache::InstanceConfig;
using cairn::cache::ShmInstance;

std::string KeyOf(uint64_t i) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "key%013llu",
                static_cast<unsigned long long>(i));
  return std::string(buf, 16);
}

std::vector<uint32_t> Uniform(uint64_t n, uint64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> out(count);
  for (auto& x : out) x = static_cast<uint32_t>(rng() % n);
  return out;
}

// Zipf(theta) over [0, n) by inverse CDF on a precomputed table, with the
// ranks scattered over the key space.
std::vector<uint32_t> Zipf(uint64_t n, uint64_t count, double theta,
                           uint64_t seed) {
  std::vector<double> cdf(n);
  double sum = 0;
  for (uint64_t i = 0; i < n; ++i) {
    sum += 1.0 / std::pow(double(i + 1), theta);
    cdf[i] = sum;
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, sum);
  std::vector<uint32_t> out(count);
  for (auto& x : out) {
    const uint64_t rank =
        std::lower_bound(cdf.begin(), cdf.end(), u(rng)) - cdf.begin();
    x = static_cast<uint32_t>((rank * 2654435761u) % n);
  }
  return out;
}

template <typename Fn>
double NsPerOp(int threads, const std::vector<std::vector<uint32_t>>& seqs,
               Fn fn) {
  std::vector<std::thread> ts;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] { fn(seqs[t]); });
  }
  for (auto& t : ts) t.join();
  const double ns = std::chrono::duration<double, std::nano>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  return ns / seqs[0].size();  // wall time per op per thread
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t items = 1000000, gets = 2000000;
  for (int i = 1; i < argc; ++i) {
    if (std::sscanf(argv[i], "--items=%llu",
                    reinterpret_cast<unsigned long long*>(&items)) == 1 ||
        std::sscanf(argv[i], "--gets=%llu",
                    reinterpret_cast<unsigned long long*>(&gets)) == 1) {
      continue;
    }
    std::fprintf(stderr, "usage: %s [--items=N] [--gets=N]\n", argv[0]);
    return 2;
  }
  InstanceConfig c;
  c.segment_name = absl::StrFormat("/cairn-microbench-%d", getpid());
  c.capacity_bytes = std::max<uint64_t>(items * 116 * 5 / 4, 1 << 20);
  ShmInstance::Remove(c.segment_name).IgnoreError();
  auto cache = ShmInstance::Open(c);
  if (!cache.ok()) {
    std::fprintf(stderr, "%s\n", cache.status().ToString().c_str());
    return 1;
  }
  std::unordered_map<std::string, std::string> map;
  const std::string value(100, 'v');
  const auto load_start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < items; ++i) {
    (*cache)->Update(KeyOf(i), value, Version{i + 1, 1});
  }
  const double load_ns = std::chrono::duration<double, std::nano>(
                             std::chrono::steady_clock::now() - load_start)
                             .count() /
                         items;
  for (uint64_t i = 0; i < items; ++i) map.emplace(KeyOf(i), value);
  const auto stats = (*cache)->Stats();
  std::printf(
      "items %llu resident %llu, capacity %llu B, overhead %.1f B/item "
      "(%.1f%% over key+value), update %.0f ns\n",
      (unsigned long long)items, (unsigned long long)stats.items,
      (unsigned long long)c.capacity_bytes,
      double(c.capacity_bytes) / items - 116,
      100.0 * (double(c.capacity_bytes) / (items * 116.0) - 1), load_ns);

  for (const char* dist : {"uniform", "zipf0.99"}) {
    std::vector<std::vector<uint32_t>> seqs;
    for (int t = 0; t < 2; ++t) {
      seqs.push_back(dist[0] == 'u' ? Uniform(items, gets, 7 + t)
                                    : Zipf(items, gets, 0.99, 7 + t));
    }
    // Keys are formatted up front so the loop measures the lookup.
    std::vector<std::vector<std::string>> keys(2);
    for (int t = 0; t < 2; ++t) {
      keys[t].reserve(gets);
      for (uint32_t i : seqs[t]) keys[t].push_back(KeyOf(i));
    }
    for (int threads : {1, 2}) {
      std::atomic<uint64_t> hits{0};
      auto shm = [&](const std::vector<uint32_t>& seq) {
        const auto& ks = keys[&seq - &seqs[0]];
        std::string out;
        Version ver;
        uint64_t h = 0;
        for (const std::string& k : ks) h += (*cache)->Get(k, &out, &ver);
        hits += h;
      };
      auto umap = [&](const std::vector<uint32_t>& seq) {
        const auto& ks = keys[&seq - &seqs[0]];
        std::string out;
        uint64_t h = 0;
        for (const std::string& k : ks) {
          auto it = map.find(k);
          if (it != map.end()) {
            out = it->second;
            ++h;
          }
        }
        hits += h;
      };
      const double shm_ns = NsPerOp(threads, seqs, shm);
      const double map_ns = NsPerOp(threads, seqs, umap);
      std::printf(
          "%-8s %d thread%s: cache get %6.1f ns/op (%5.2f M/s total)  "
          "unordered_map %6.1f ns/op  ratio %.2fx  hits %llu\n",
          dist, threads, threads == 1 ? " " : "s", shm_ns,
          threads * 1e3 / shm_ns, map_ns, map_ns / shm_ns,
          (unsigned long long)hits.load());
    }
  }
  cache->reset();
  ShmInstance::Remove(c.segment_name).IgnoreError();
  return 0;
}
