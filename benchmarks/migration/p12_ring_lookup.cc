// P12 (BENCHMARKS.md): routing a key to its cache instance, goal <= 25 ns.
//
// Rings of 4, 16 and 64 instances of equal capacity (ring::Ring::Create),
// the same lookup the engine does on every cached operation:
//   BM_RingIndexFor        ring.IndexFor(hash) on precomputed key hashes
//   BM_KeyHashAndIndexFor  cache::KeyHash(key) + ring.IndexFor for 16-byte
//                          keys (what Db::Get pays before touching an
//                          instance)
//   BM_KeyHash             cache::KeyHash alone, for reference (not routing)
//   BM_RingIndexForChained as BM_RingIndexFor, but each lookup's hash depends
//                          on the previous result: latency, not throughput
// One lookup per iteration, so the reported time is ns per lookup. Keys are
// the benchmarks' 16-byte hex keys (workload.h); 64Ki of them (1 MiB of keys,
// 512 KiB of hashes), read in order, so the figure is the routing cost with
// the 32 KiB ring table warm, as it is under load.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "engine/cache/placement.h"
#include "engine/ring/ring.h"
#include "workload.h"

namespace {

using cairn::ring::Member;
using cairn::ring::Ring;

constexpr size_t kKeys = size_t{1} << 16;

struct Keys {
  std::vector<char> bytes;       // kKeys x 16 bytes
  std::vector<uint64_t> hashes;  // KeyHash of each
  Keys() : bytes(kKeys * cairn_bench::kKeySize), hashes(kKeys) {
    for (size_t i = 0; i < kKeys; ++i) {
      char* k = &bytes[i * cairn_bench::kKeySize];
      cairn_bench::FormatKey(cairn_bench::PresentIndex(i * 7919), k);
      hashes[i] =
          cairn::cache::KeyHash(std::string_view(k, cairn_bench::kKeySize));
    }
  }
  std::string_view Key(size_t i) const {
    return std::string_view(&bytes[(i & (kKeys - 1)) * cairn_bench::kKeySize],
                            cairn_bench::kKeySize);
  }
};

const Keys& TheKeys() {
  static const Keys* keys = new Keys();
  return *keys;
}

Ring MakeRing(int instances) {
  std::vector<Member> members;
  for (int i = 0; i < instances; ++i) {
    members.push_back({static_cast<uint32_t>(i), 64ull << 20});
  }
  absl::StatusOr<Ring> ring = Ring::Create(std::move(members));
  if (!ring.ok()) {
    std::fprintf(stderr, "Ring::Create(%d): %s\n", instances,
                 ring.status().ToString().c_str());
    std::abort();
  }
  return *std::move(ring);
}

void BM_RingIndexFor(benchmark::State& state) {
  const Ring ring = MakeRing(static_cast<int>(state.range(0)));
  const std::vector<uint64_t>& hashes = TheKeys().hashes;
  size_t i = 0;
  for (auto _ : state) {
    uint32_t index = ring.IndexFor(hashes[i++ & (kKeys - 1)]);
    benchmark::DoNotOptimize(index);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RingIndexForChained(benchmark::State& state) {
  const Ring ring = MakeRing(static_cast<int>(state.range(0)));
  const std::vector<uint64_t>& hashes = TheKeys().hashes;
  size_t i = 0;
  uint32_t index = 0;
  for (auto _ : state) {
    index = ring.IndexFor(hashes[(i++ + index) & (kKeys - 1)]);
    benchmark::DoNotOptimize(index);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_KeyHashAndIndexFor(benchmark::State& state) {
  const Ring ring = MakeRing(static_cast<int>(state.range(0)));
  const Keys& keys = TheKeys();
  size_t i = 0;
  for (auto _ : state) {
    uint32_t index = ring.IndexFor(cairn::cache::KeyHash(keys.Key(i++)));
    benchmark::DoNotOptimize(index);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_KeyHash(benchmark::State& state) {
  const Keys& keys = TheKeys();
  size_t i = 0;
  for (auto _ : state) {
    uint64_t h = cairn::cache::KeyHash(keys.Key(i++));
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_RingIndexFor)->ArgName("instances")->Arg(4)->Arg(16)->Arg(64);
BENCHMARK(BM_RingIndexForChained)
    ->ArgName("instances")
    ->Arg(4)
    ->Arg(16)
    ->Arg(64);
BENCHMARK(BM_KeyHashAndIndexFor)
    ->ArgName("instances")
    ->Arg(4)
    ->Arg(16)
    ->Arg(64);
BENCHMARK(BM_KeyHash);

}  // namespace

BENCHMARK_MAIN();
