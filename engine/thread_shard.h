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
template <int kShards>
int ThreadShard() {
  static_assert(kShards > 0);
  thread_local const int index = [] {
    static std::atomic<unsigned> next{0};
    return static_cast<int>(next.fetch_add(1, std::memory_order_relaxed) %
                            kShards);
  }();
  return index;
}

}  // namespace cairn

#endif  // CAIRN_ENGINE_THREAD_SHARD_H_
