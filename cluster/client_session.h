// Serving cluster clients on a node's replication listener (issue 13).
//
// A client connects like a peer but says Role::kClient and node id 0; the
// receiver (replication/receiver.h) shakes hands (cluster id, secret) and
// then hands the connection to ClientSessions::Serve, which loops: read a
// kClientRequest frame (waiting at most node.client_idle_ms), decode it with
// the engine's key and value caps, answer it through the ClientService, send
// the kClientReply. A request whose payload does not decode is answered
// with InvalidArgument naming the field (under the request's id when its
// first 8 bytes are there, else 0) and the session goes on; a bad frame, a
// frame of another type, a send failure or an idle connection ends it.
//
// ServeClients() is the factory plugin/ passes to replication::Node::Open,
// so replication/ never includes cluster/.
//
// Thread-safe: Serve runs once per client connection, each on its own
// receiver session thread.
#ifndef CAIRN_CLUSTER_CLIENT_SESSION_H_
#define CAIRN_CLUSTER_CLIENT_SESSION_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "cluster/client_service.h"
#include "cluster/node_role.h"
#include "replication/connection.h"
#include "replication/node.h"

namespace cairn::cluster {

class ClientSessions final : public replication::ClientHandler {
 public:
  // `node` must outlive it; `role` null means AlwaysServes.
  ClientSessions(replication::Node* node, std::shared_ptr<NodeRole> role);

  void Serve(replication::Connection* conn,
             const replication::Hello& hello) override;
  std::string StatusJson() override { return service_.StatusJson(); }

  ClientService& service() { return service_; }

 private:
  replication::Node* const node_;
  const std::shared_ptr<NodeRole> role_;
  const absl::Duration idle_;
  ClientService service_;
};

// The factory for replication::Node::Open: every node it opens serves
// clients with `role` (null: AlwaysServes, the active mode).
replication::ClientHandlerFactory ServeClients(
    std::shared_ptr<NodeRole> role = nullptr);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_CLIENT_SESSION_H_
