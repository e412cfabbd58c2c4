// Receiver: the listening side of replication. Peers connect here and push
// their op logs; each inbound connection is served by its own thread
// (bounded by replication.max_connections).
//
// Per frame: an OpBatch is applied version-guarded in one LevelDB batch with
// the sender's receive cursor (Db::Apply), then acknowledged (durably when
// the sender asked); snapshot chunks of a resync are applied the same way
// with the resync's progress; repairs are applied; heartbeats and digest
// requests are answered. Batches at or below the stored cursor are
// acknowledged and skipped, so a replay after a reconnect is harmless.
// A bad frame, a handshake failure or an idle connection closes that
// connection only, with the reason in the LOG.
//
// Thread-safe; Stop() closes every connection and joins every thread.
#ifndef CAIRN_REPLICATION_RECEIVER_H_
#define CAIRN_REPLICATION_RECEIVER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/mutex.h"
#include "boost/asio/ip/tcp.hpp"
#include "engine/db.h"
#include "replication/connection.h"
#include "replication/options.h"

namespace cairn::replication {

// Metadata names (Db::GetMetadata) of what this node holds of a sender.
std::string ReceiveCursorName(uint32_t sender);
std::string ResyncStateName(uint32_t sender);
// The stored receive cursor for `sender` (zero values when none).
[[nodiscard]] absl::StatusOr<ReceiveCursor> LoadReceiveCursor(
    Db* db, uint32_t sender);

class Receiver {
 public:
  struct Config {
    HandshakeConfig handshake;
    std::string listen_host;
    uint16_t listen_port = 0;
    uint64_t max_connections = 64;
    absl::Duration idle_timeout = absl::Seconds(10);
    // Whether `id` may connect (a configured peer); the reason otherwise.
    std::function<absl::Status(uint32_t id)> admit;
    // Serves a client (Role::kClient, node id 0) after its handshake, on
    // the session's thread, in place of the peer loop; null refuses
    // clients. Returns when the client leaves or the connection shuts down.
    std::function<void(Connection*, const Hello&)> serve_client;
  };

  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Receiver>> Start(
      Db* db, Config config);
  ~Receiver();

  uint16_t port() const { return port_; }
  void Stop();

  // Per-sender counters for the status property.
  struct SenderStats {
    bool connected = false;
    uint64_t applied_sequence = 0;
    uint64_t batches = 0;
    uint64_t ops_applied = 0;
    uint64_t ops_skipped = 0;
    uint64_t connections = 0;
    bool resyncing = false;  // a snapshot stream from it is unfinished
  };
  absl::flat_hash_map<uint32_t, SenderStats> Stats() ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t refused_connections() const { return refused_.load(); }
  uint64_t bad_frames() const { return bad_frames_.load(); }

 private:
  struct Session {
    std::unique_ptr<Connection> conn;
    std::thread thread;
    std::atomic<bool> done{false};
    uint32_t sender = 0;  // once the handshake named it
    // Computes and answers a digest request off the session's thread, so
    // batches keep being applied during a walk over every key. One at a
    // time; joined before the session ends.
    std::thread digest;
  };

  Receiver(Db* db, Config config);
  void AcceptLoop();
  void Serve(Session* session);
  // Applies one received frame; an error closes the connection.
  absl::Status Handle(Session* session, const Frame& frame);
  // Applies consecutive op batches as one (see Serve).
  absl::Status ApplyBatches(Session* session, uint32_t sender,
                            const std::vector<Frame>& frames);
  absl::Status ApplyChunk(Session* session, uint32_t sender,
                          const std::string& payload);
  absl::Status ApplyRepair(uint32_t sender, const std::string& payload);
  void Reap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Mutex& SenderMutex(uint32_t sender) ABSL_LOCKS_EXCLUDED(mu_);

  Db* const db_;
  const Config config_;
  const WireLimits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> bad_frames_{0};

  Mutex mu_;
  std::list<std::unique_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, Session*> by_sender_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, SenderStats> stats_ ABSL_GUARDED_BY(mu_);
  // One applier per sender at a time, so its cursor only moves forward.
  absl::flat_hash_map<uint32_t, std::unique_ptr<Mutex>> sender_mu_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_RECEIVER_H_
