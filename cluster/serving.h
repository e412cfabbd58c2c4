// How a node serves cluster clients, chosen by its options: the factory the
// C ABI hands to replication::Node::Open.
//
// node.mode=active: every request is served (AlwaysServes).
// node.mode=standby: a StandbyRole (standby_role.h) over the sequence
// node.standby_order (default: this node and its replication peers in
// ascending id order; otherwise it must list exactly those ids), with the
// coordination.* options (etcd or the majority rule). The role learns
//   - reachable(peer): from the node's "cairn.replication" property — the
//     peer is "up" or "resyncing" and not tagged failed by the replication
//     failure detector (ReachabilityFromReplicationStatus);
//   - ready(): no snapshot stream from any peer is unfinished (the inbound
//     "resyncing" flag, persisted across restarts), so a node being
//     resynced never becomes master. A node that rejoins before any peer
//     started its resync counts as ready until the first chunk arrives;
//     with etcd it still never preempts a live master.
// The role starts once the node's replicator runs and stops reading the
// node before the node stops it; on a clean close a standby master resigns
// (with etcd it revokes its lease, so the next node takes over at once
// instead of after the lease TTL). The node's "cairn.clients" property then
// also holds "mode": "standby", the "standby_sequence" and "coordination"
// ("etcd" or "majority"); its "status" says whether the node serves, the
// master it knows and why not (e.g. etcd unreachable, lease lapsed).
#ifndef CAIRN_CLUSTER_SERVING_H_
#define CAIRN_CLUSTER_SERVING_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "cluster/coordination_options.h"
#include "replication/node.h"
#include "replication/options.h"

namespace cairn::cluster {

// The standby sequence of a node with `options`: node.standby_order, or its
// default; InvalidArgument naming node.standby_order and the offending id
// otherwise.
[[nodiscard]] absl::StatusOr<std::vector<uint32_t>> StandbySequence(
    const replication::NodeOptions& options);

// The client-handler factory for replication::Node::Open. Options that do
// not validate (the sequence, coordination.*) fail the open, naming them.
replication::ClientHandlerFactory ServeClientsAs(
    const CoordinationOptions& coordination);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_SERVING_H_
