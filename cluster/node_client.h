// NodeClient: the real NodeTransport (transport.h). Speaks the client
// protocol (client_wire.h) to one node over a replication Connection:
// connects and shakes hands as Role::kClient, node id 0, checking that the
// node is the one configured (its id) and, with a secret, proving it both
// ways; then one kClientRequest frame per call and its kClientReply.
//
// Failures: a connect, handshake, send or receive failure, a deadline, an
// Error frame, a frame of another type, a reply that does not decode or
// whose id is not the request's are all a non-OK status (Unavailable,
// DeadlineExceeded, FailedPrecondition, PermissionDenied, InvalidArgument or
// DataLoss, each naming the node) and close the connection; the next call
// reconnects. A connection the node closed between calls (idle past
// node.client_idle_ms, or a restart) is noticed before the next request is
// sent and replaced, so it never counts as a failure. A caller's deadline
// bounds the connect, the handshake and the
// wait for the reply; only a send into a full socket buffer may take longer,
// up to the connection's send timeout (5 s, connection.cc) — requests are
// small, so that needs a node that stopped reading with megabytes queued.
//
// Request ids: a request's own id goes on the wire when it is non-zero (the
// cluster client's audit and R4 reports name it); 0 gets the next id of a
// per-client counter. The reply carries the id sent.
//
// Thread-safe: one mutex serialises calls (one request in flight per node;
// a caller wanting parallelism opens several NodeClients). Close() from
// another thread waits for a call in progress.
#ifndef CAIRN_CLUSTER_NODE_CLIENT_H_
#define CAIRN_CLUSTER_NODE_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/transport.h"
#include "engine/mutex.h"
#include "replication/connection.h"

namespace cairn::cluster {

struct NodeClientOptions {
  std::string cluster_id = "cairn";  // replication.cluster_id of the nodes
  std::string secret;                // their shared secret ("" for none)
  // Bounds a connect plus handshake (the call's deadline bounds it too).
  absl::Duration connect_timeout = absl::Seconds(2);
  // Largest reply frame accepted once authenticated (a get of a 64 MiB
  // value, a scan of 8 MiB).
  uint32_t max_frame_payload = 72u << 20;
};

class NodeClient final : public NodeTransport {
 public:
  NodeClient(NodeAddress address, NodeClientOptions options);
  ~NodeClient() override;

  [[nodiscard]] absl::StatusOr<ClientReply> Call(const ClientRequest& request,
                                                 absl::Time deadline) override
      ABSL_LOCKS_EXCLUDED(mu_);
  std::string LocalAddress() override ABSL_LOCKS_EXCLUDED(mu_);
  void Close() override ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Status Connect(absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether the idle connection was closed by the node (or has something
  // unasked for on it).
  bool Stale() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ClientReply> Exchange(const ClientRequest& request,
                                       absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes the connection and returns `s` with the node named.
  absl::Status Broken(const absl::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const NodeAddress address_;
  const NodeClientOptions options_;
  const std::string name_;  // "node N at host:port", for messages

  Mutex mu_;
  std::unique_ptr<replication::Connection> conn_ ABSL_GUARDED_BY(mu_);
  std::string local_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

// Makes NodeClients with `options` (the cluster client's transport).
TransportFactory NodeClientFactory(NodeClientOptions options);
// The same from its parts.
TransportFactory NodeClientFactory(std::string cluster_id, std::string secret,
                                   absl::Duration connect_timeout);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_NODE_CLIENT_H_
