// ThreadShard: which of a structure's per-thread shards the calling thread
// uses.
//
// Hot counters and locks are split into cache-line-sized shards so threads
// on different cores do not bounce one line between them. Each thread gets
// an index once, round robin over every thread that asks, so the first
// kShards threads never share a shard. Thread-safe; the index is stable for
// the thread's life.
#ifndef CAIRN_ENGINE_THREAD_SHARD_H_
#define CAIRN_ENGINE_THREAD_SHARD_H_

#include <atomic>

namespace cairn {

// The calling thread's shard in [0, kShards).
//
// The index lives in initial-exec TLS, constant-initialised (no guard
// variable): reading it is one %fs-relative load, where the default model
// for a shared library (global-dynamic) calls __tls_get_addr, ~20
// instructions several times per cached get (measured with callgrind:
// 110 of ~2000 instructions per cairn_get_into). Initial exec takes a few
// bytes of the static TLS surplus glibc reserves for dlopen()ed libraries;
// one int per instantiation is well inside it.
template <int kShards>
inline int ThreadShard() {
  static_assert(kShards > 0);
  static thread_local int index __attribute__((tls_model("initial-exec"))) = -1;
  if (__builtin_expect(index < 0, 0)) {
    static std::atomic<unsigned> next{0};
    index = static_cast<int>(next.fetch_add(1, std::memory_order_relaxed) %
                             kShards);
  }
  return index;
}

}  // namespace cairn

#endif  // CAIRN_ENGINE_THREAD_SHARD_H_
