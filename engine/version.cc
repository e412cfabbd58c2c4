#include "engine/version.h"

#include <chrono>

#include "absl/strings/str_format.h"

namespace cairn {

std::string Version::ToString() const {
  return absl::StrFormat("%d.%d@%d", HybridClock::PhysicalMillis(hlc),
                         hlc & ((1u << HybridClock::kLogicalBits) - 1), node);
}

HybridClock::HybridClock(TimeSource now) : now_(std::move(now)) {
  if (!now_) {
    now_ = [] {
      return static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count());
    };
  }
}

uint64_t HybridClock::Now() {
  const uint64_t physical = now_() << kLogicalBits;
  uint64_t last = last_.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    // Wall clock ahead: jump to it. Otherwise tick the logical counter (which
    // carries into the physical part if 65536 writes share a millisecond).
    next = physical > last ? physical : last + 1;
  } while (!last_.compare_exchange_weak(last, next, std::memory_order_relaxed));
  return next;
}

void HybridClock::Observe(uint64_t hlc) {
  uint64_t last = last_.load(std::memory_order_relaxed);
  while (hlc > last &&
         !last_.compare_exchange_weak(last, hlc, std::memory_order_relaxed)) {
  }
}

}  // namespace cairn
