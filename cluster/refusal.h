// Refusal: how a node that does not serve (standby mode: it is not master)
// says so, and how the cluster client recognises it. A refusal is an
// Unavailable reply whose message names the master the node knows:
//   "node 2 does not serve: not master (master: node 1)"
//   "node 2 does not serve: no lease (master: none)"
// A refusal is a routing answer from a healthy node, not a node fault: the
// client does not count it against the node (SPEC C3) and, in standby mode,
// follows the named master once. A node may also fill ClientReply::status
// (serves = false, master) when its codec carries it; either form is
// understood.
//
// Pure functions; thread-safe.
#ifndef CAIRN_CLUSTER_REFUSAL_H_
#define CAIRN_CLUSTER_REFUSAL_H_

#include <cstdint>
#include <string>

#include "cluster/client_wire.h"
#include "cluster/node_role.h"

namespace cairn::cluster {

// The message of node `node_id`'s refusal given its role's view.
std::string RefusalMessage(uint32_t node_id, const NodeRole::View& view);

// The reply a node sends instead of serving `request` (code Unavailable).
ClientReply RefusalReply(uint32_t node_id, const ClientRequest& request,
                         const NodeRole::View& view);

struct Refusal {
  bool refused = false;  // the reply is a refusal
  uint32_t master = 0;   // the master it names (0: none)
};
Refusal ParseRefusal(const ClientReply& reply);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_REFUSAL_H_
