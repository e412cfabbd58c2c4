// NodeTransport: one serving node as the cluster client sees it. The real
// one (node_client.h) speaks client_wire.h over a replication Connection;
// tests substitute fakes that fail, stall or answer garbage on demand.
#ifndef CAIRN_CLUSTER_TRANSPORT_H_
#define CAIRN_CLUSTER_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/client_wire.h"

namespace cairn::cluster {

// A node of the cluster, as configured (`cluster.nodes`: id@host:port,...).
struct NodeAddress {
  uint32_t id = 0;
  std::string host;
  uint16_t port = 0;
};

class NodeTransport {
 public:
  virtual ~NodeTransport() = default;
  // Sends `request` and waits for its reply until `deadline`. A non-OK
  // status is a failure of the transport (connect, send, timeout, a bad or
  // mismatched frame): the caller counts it against the node (SPEC C3). An
  // error the node itself reports comes back OK, in ClientReply::code.
  // Reconnects as needed. Thread-safe.
  [[nodiscard]] virtual absl::StatusOr<ClientReply> Call(
      const ClientRequest& request, absl::Time deadline) = 0;
  // The local address of the live connection ("" when none), for the audit.
  virtual std::string LocalAddress() = 0;
  // Closes the connection; later calls reconnect.
  virtual void Close() = 0;
};

using TransportFactory =
    std::function<std::unique_ptr<NodeTransport>(const NodeAddress&)>;

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_TRANSPORT_H_
