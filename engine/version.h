// Version: the order of writes across nodes.
//
// Every record carries a Version: a hybrid logical clock (HLC) timestamp and
// the id of the node that wrote it. Versions are totally ordered — by HLC,
// then by node id — so last-writer-wins is deterministic on every replica.
//
// The HLC packs wall-clock milliseconds in the high 48 bits and a logical
// counter in the low 16 bits: it never goes backwards, even when the wall
// clock does, and stays close to real time so versions are human-readable.
//
// HybridClock is thread-safe. Its time source is injectable for tests.
#ifndef CAIRN_ENGINE_VERSION_H_
#define CAIRN_ENGINE_VERSION_H_

#include <atomic>
#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace cairn {

struct Version {
  uint64_t hlc = 0;
  uint32_t node = 0;

  friend constexpr auto operator<=>(const Version&, const Version&) = default;
  bool IsZero() const { return hlc == 0 && node == 0; }
  std::string ToString() const;
};

class HybridClock {
 public:
  // Returns wall-clock milliseconds since the Unix epoch.
  using TimeSource = std::function<uint64_t()>;

  static constexpr int kLogicalBits = 16;

  explicit HybridClock(TimeSource now = nullptr);

  // A new timestamp, strictly greater than every earlier one from Now() and
  // every value passed to Observe().
  uint64_t Now();
  // The greatest timestamp handed out by Now() or passed to Observe() (0
  // before any): every version stored through this clock is at most this.
  uint64_t Last() const { return last_.load(std::memory_order_acquire); }

  // Advances the clock past a timestamp seen elsewhere (a reopened log, a
  // replicated write), so later local writes order after it.
  void Observe(uint64_t hlc);

  static uint64_t PhysicalMillis(uint64_t hlc) { return hlc >> kLogicalBits; }

 private:
  TimeSource now_;
  std::atomic<uint64_t> last_{0};
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_VERSION_H_
