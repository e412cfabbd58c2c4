// Connection: one framed, optionally authenticated TCP connection between
// two nodes (Boost.Asio sockets used blocking, one reader thread and any
// number of writers per connection).
//
// The handshake (ClientHandshake / ServerHandshake) exchanges Hello and
// Welcome with small frames only, checks the cluster id, the protocol
// version and the node ids, and with a secret proves it both ways (wire.h
// Auth) before the frame cap is raised and every later frame carries a mac.
// Every read has a deadline, every write a socket send timeout: a peer that
// trickles one byte a second or stops reading is cut off, never waited on.
//
// Thread-safe: Send may be called from several threads (one lock); Receive
// from one thread at a time; Shutdown from any thread unblocks both.
#ifndef CAIRN_REPLICATION_CONNECTION_H_
#define CAIRN_REPLICATION_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "replication/frame.h"
#include "replication/wire.h"

namespace cairn::replication {

// What a node knows when it shakes hands.
struct HandshakeConfig {
  std::string cluster_id;
  uint32_t node_id = 0;
  std::string secret;              // empty: no authentication
  uint32_t max_frame_payload = 0;  // the cap once authenticated
  absl::Duration timeout = absl::Seconds(2);
};

class Connection {
 public:
  // Takes a connected socket.
  Connection(boost::asio::ip::tcp::socket socket, std::string remote);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects to host:port within `timeout`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Connection>> Connect(
      const std::string& host, uint16_t port, absl::Duration timeout);

  // Sends one frame (with a mac once authenticated). Fails if the socket
  // does, or if the peer does not take the bytes within the send timeout.
  [[nodiscard]] absl::Status Send(FrameType type, std::string_view payload)
      ABSL_LOCKS_EXCLUDED(send_mu_);
  // The next frame, waiting until `deadline`: DeadlineExceeded when none
  // came, Unavailable when the peer closed, InvalidArgument/DataLoss for a
  // bad frame (the connection is then useless: close it).
  [[nodiscard]] absl::StatusOr<Frame> Receive(absl::Time deadline);

  // Client side: Hello, Welcome (checked against `expected_peer`, 0 for
  // any), then Auth both ways when there is a secret. Returns the Welcome.
  [[nodiscard]] absl::StatusOr<Welcome> ClientHandshake(
      const HandshakeConfig& config, Role role, uint32_t expected_peer);
  // Server side: reads the Hello, asks `admit` whether that node may connect
  // (an error refuses it with that reason) and for the Welcome's cursor,
  // answers, and authenticates. Returns the Hello.
  [[nodiscard]] absl::StatusOr<Hello> ServerHandshake(
      const HandshakeConfig& config,
      const std::function<absl::StatusOr<ReceiveCursor>(const Hello&)>& admit);

  // Sends an Error frame with `reason` (best effort) and shuts down.
  void Fail(std::string_view reason);
  // Unblocks every Send and Receive; idempotent.
  void Shutdown();

  const std::string& remote() const { return remote_; }
  // This end's address, "host:port" ("" when the socket has none).
  std::string LocalAddress() const;
  uint64_t bytes_sent() const { return bytes_sent_.load(); }
  uint64_t bytes_received() const { return bytes_received_.load(); }

 private:
  void Authenticate(const std::string& secret, Direction send_direction,
                    const std::array<uint8_t, kNonceSize>& local_nonce,
                    const std::array<uint8_t, kNonceSize>& remote_nonce,
                    uint32_t max_payload);

  boost::asio::ip::tcp::socket socket_;
  const std::string remote_;
  Mutex send_mu_;
  MacState send_mac_ ABSL_GUARDED_BY(send_mu_);
  bool authenticated_ ABSL_GUARDED_BY(send_mu_) = false;
  // Receive side: one reader at a time, so no lock.
  MacState recv_mac_;
  FrameDecoder decoder_;
  std::atomic<bool> shut_down_{false};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> bytes_received_{0};
};

// The io_context every blocking socket of the process is created on (Asio
// needs one; blocking calls never run it).
boost::asio::io_context& BlockingIoContext();

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_CONNECTION_H_
