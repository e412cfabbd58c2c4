// Admission: which read-miss fills enter the cache (option cache.admission).
//
// `always` caches every value a miss reads. `second_miss` caches a key only
// on its second miss within a window, so a one-pass scan (every key read
// once) cannot push the hot set out: the scan's keys are remembered, not
// cached. The memory is a doorkeeper (TinyLFU's first stage): a Bloom filter
// of the key hashes that missed, two bits per key, cleared once `window`
// distinct keys have been recorded. A key whose reuse distance (distinct
// missing keys between two of its misses) exceeds the window is never
// admitted; the tier sizes the window to four times the keys the cache can
// hold, beyond which such a key could not have hit anyway.
//
// Only read-miss fills go through it; writes (Update) and migration moves
// keep their own rules. A refusal can only turn a later hit into a miss,
// never serve anything: the cache's correctness contract is untouched.
//
// The filter is per process (heap memory: eight bits per window key, rounded
// up to a power of two, so one to two bytes per key): a cache segment has
// one attached owner at a time, and a restarted process simply learns
// again. Thread-safe and lock-free: relaxed atomic bit operations;
// a clear racing a record may lose that record (one more miss for the key).
#ifndef CAIRN_ENGINE_CACHE_ADMISSION_H_
#define CAIRN_ENGINE_CACHE_ADMISSION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"

namespace cairn::cache {

enum class AdmissionPolicy { kAlways, kSecondMiss };

// "always" | "second_miss" (the option values).
std::string_view AdmissionPolicyName(AdmissionPolicy policy);
[[nodiscard]] absl::StatusOr<AdmissionPolicy> ParseAdmissionPolicy(
    std::string_view name);

class Doorkeeper {
 public:
  // Remembers up to `window` (>= 64) distinct keys before clearing.
  explicit Doorkeeper(uint64_t window);

  Doorkeeper(const Doorkeeper&) = delete;
  Doorkeeper& operator=(const Doorkeeper&) = delete;

  // Records a miss of the key with `hash` (placement.h KeyHash). True if
  // the key was already recorded in this window: admit its fill.
  bool Admit(uint64_t hash);

  uint64_t window() const { return window_; }
  uint64_t bytes() const { return (mask_ + 1) / 8; }
  // Times the filter was cleared.
  uint64_t resets() const { return resets_.load(std::memory_order_relaxed); }

 private:
  void Clear();

  const uint64_t window_;
  uint64_t mask_ = 0;  // bits - 1; bits is a power of two
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  // Keys recorded since the last clear. One shared line, but touched only
  // by misses of new keys, which then read LevelDB (microseconds).
  alignas(64) std::atomic<uint64_t> recorded_{0};
  std::atomic<uint64_t> resets_{0};
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_ADMISSION_H_
