// StandbyRole: the NodeRole of a node in standby mode (SPEC C2): the nodes
// form an ordered sequence and only the master serves; when it fails the
// next reachable node becomes master; a recovered node rejoins at the end.
//
// With etcd (coordination.etcd set) the master is whoever holds the leader
// lease (leader_lease.h), so there are never two masters: a node serves
// only while LeaderLease::IsLeader(now) — a local monotonic deadline that
// lapses before etcd could give the key to anyone else. The sequence only
// decides who campaigns when the key is absent (nobody leads):
//
//   Campaign rule. Let L be the last leader this node saw in the key (0 if
//   none since it started). Order the sequence starting right after L, so L
//   comes last (no L: the configured order). A node campaigns iff the key is
//   absent, it is ready (ready(): e.g. its resync from the master finished),
//   and every node before it in that order is unreachable (reachable():
//   e.g. the replication peer state). etcd's create-if-absent transaction
//   makes exactly one campaigner win if several do.
//
//   So "a recovered node rejoins at the end of the sequence": a node that
//   comes back finds the key held and does not campaign while it is (it
//   never preempts a live master); it learns the holder L, and when L fails
//   the nodes after L in the sequence come before it. A master that lost
//   its lease (paused, cut from etcd) has L = itself and so puts itself
//   last. A node that is not ready (still resyncing) never campaigns.
//   Liveness needs reachable() to be honest: if every node believes an
//   earlier one reachable nobody campaigns; if two believe all earlier ones
//   unreachable both campaign and one wins.
//
// Without etcd a node serves only while (1) it sees a majority of the
// sequence, itself included — it and more than half of the others are
// reachable to it —, (2) it is the first reachable node of the configured
// sequence, and (3) it is ready. The view is re-evaluated every
// coordination.refresh_ms. What that prevents: a node cut off with a
// minority never serves, so a symmetric partition has at most one serving
// side, and with consistent reachability at most one node is first. What
// it does not prevent:
//   - with asymmetric or flapping links two nodes can each see a majority
//     and each believe itself first (A cannot reach B, B can reach A) —
//     two masters until reachability converges, up to the failure
//     detector's heartbeat × threshold plus one refresh;
//   - a SIGSTOPped master resumes serving on its stale view until its next
//     refresh and until its failure detector notices the peers that took
//     over (a paused process cannot notice time passing);
//   - a recovered earlier node takes mastership back once it is ready (it is
//     first again): "rejoin at the end" needs the shared memory of who led,
//     which only etcd gives.
// Use etcd when two masters must never accept writes at once.
//
// Thread safety: Current() is cheap (a lock and a copy; with etcd a clock
// reading) and may be called from any thread; so may everything else.
// reachable() and ready() are called from the role's own thread (or the
// caller of Refresh/MayCampaign), never under the role's lock.
#ifndef CAIRN_CLUSTER_STANDBY_ROLE_H_
#define CAIRN_CLUSTER_STANDBY_ROLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cluster/coordination_options.h"
#include "cluster/leader_lease.h"
#include "cluster/node_role.h"
#include "engine/mutex.h"

namespace cairn::cluster {

struct StandbyOptions {
  uint32_t self = 0;               // this node's id; must be in `sequence`
  std::vector<uint32_t> sequence;  // the standby order, ids unique and > 0
  std::string cluster_id = "cairn";  // names the etcd leader key
  // Whether another node of the sequence is reachable now (never asked about
  // `self`). Required.
  std::function<bool(uint32_t node)> reachable;
  // Whether this node may become master (e.g. its resync from the master
  // finished). Null: always.
  std::function<bool()> ready;
};

class StandbyRole final : public NodeRole {
 public:
  // Checks the options (InvalidArgument naming the culprit) and builds the
  // role; with config.use_etcd, its leader lease on `LeaderKey(cluster_id)`.
  // Nothing runs until Start().
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StandbyRole>> Create(
      StandbyOptions options, const CoordinationConfig& config);
  ~StandbyRole() override;

  // Starts the lease thread (etcd) or the refresh thread (no etcd).
  void Start();

  View Current() override;

  // No etcd: re-evaluates the majority rule now (the refresh thread calls
  // it every coordination.refresh_ms; tests call it directly).
  void Refresh() ABSL_LOCKS_EXCLUDED(mu_);
  // etcd: the campaign rule above (the lease thread calls it).
  bool MayCampaign(uint32_t last_leader, std::string* why);

  // etcd: steps down now and revokes the lease (a clean hand-over); then
  // stops campaigning. No etcd: stops serving. Either way until Rejoin().
  [[nodiscard]] absl::Status Resign();
  void Rejoin();

  // Null without etcd.
  LeaderLease* lease() { return lease_.get(); }
  const StandbyOptions& options() const { return options_; }

 private:
  StandbyRole(StandbyOptions options, const CoordinationConfig& config);
  void RunRefresh();

  const StandbyOptions options_;
  const CoordinationConfig config_;
  std::unique_ptr<LeaderLease> lease_;  // etcd only

  Mutex mu_;
  CondVar cv_;
  View view_ ABSL_GUARDED_BY(mu_);
  bool resigned_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread refresh_thread_;
};

// Peer reachability from a node's "cairn.replication" property: a peer is
// reachable when its state is "up" or "resyncing" and it is not tagged
// failed. InvalidArgument when the JSON is not that property.
[[nodiscard]] absl::StatusOr<absl::flat_hash_map<uint32_t, bool>>
ReachabilityFromReplicationStatus(std::string_view json);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_STANDBY_ROLE_H_
