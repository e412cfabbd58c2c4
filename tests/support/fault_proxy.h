// FaultProxy: a userspace TCP relay on loopback that injects network faults
// into one link, for the multi-process replication tests.
//
// It listens on 127.0.0.1 (an ephemeral port, port()) and relays each
// accepted connection to 127.0.0.1:<target>, a port that can be set or
// changed later (SetTarget: a restarted node binds a new port). Faults apply
// to every connection of the link, open or new:
//   Delay(d)  each chunk is forwarded d after it was read (order kept);
//   Drop()    a blackhole: connections are accepted and bytes read, but
//             nothing is forwarded and a new connection does not reach the
//             target; bytes are held (up to the buffer bound, then the
//             sender is back-pressured, as TCP would) until Heal();
//   Cut()     every connection is closed (reset) and new ones are refused
//             (accepted, then reset at once) until Heal();
//   Heal()    back to a plain relay: no delay, held bytes go out, connections
//             held by Drop() now reach the target.
// A connection whose target is unset or refuses is reset as well. Bytes are
// relayed as a stream: a fault never corrupts or reorders what a connection
// carries, it only delays, stalls or ends it — what a TCP peer can see.
//
// Memory is bounded: at most max_buffered_bytes (plus one read chunk) wait
// per direction of each connection; past that the relay stops reading.
//
// Thread-safe: one relay thread runs all I/O; every method may be called
// from any other thread (not from the relay thread) and returns once the
// change took effect: after Cut() every connection is closed, after Drop()
// no new byte is handed to the kernel (a write already handed over may
// still arrive). The destructor closes everything and joins the thread.
#ifndef CAIRN_TESTS_SUPPORT_FAULT_PROXY_H_
#define CAIRN_TESTS_SUPPORT_FAULT_PROXY_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace cairn::testing {

namespace fault_proxy_internal {
class Relay;
}

class FaultProxy {
 public:
  struct Stats {
    uint64_t accepted = 0;  // connections accepted (refused ones too)
    uint64_t refused = 0;   // of those, reset unrelayed: cut, no target,
                            // target down
    uint64_t open = 0;      // connections open now
    // Bytes forwarded (handed to the kernel) each way, and read but not yet
    // forwarded now.
    uint64_t bytes_to_target = 0;
    uint64_t bytes_to_client = 0;
    uint64_t bytes_held = 0;
  };

  // Listens at once; relays to `target_port` (0: none yet, connections are
  // reset until SetTarget). Throws std::runtime_error when it cannot bind.
  explicit FaultProxy(uint16_t target_port = 0,
                      size_t max_buffered_bytes = 1 << 20);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // The port this proxy listens on.
  uint16_t port() const { return port_; }

  // Where new connections go (0: nowhere); open connections stay.
  void SetTarget(uint16_t target_port);
  void Delay(std::chrono::milliseconds delay);
  void Drop();
  void Cut();
  void Heal();

  Stats stats() const;

 private:
  std::unique_ptr<fault_proxy_internal::Relay> impl_;
  uint16_t port_ = 0;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SUPPORT_FAULT_PROXY_H_
