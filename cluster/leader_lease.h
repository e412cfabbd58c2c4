// LeaderLease: "at most one master" through a leader key under an etcd lease
// (Patroni's model).
//
// A node campaigns by putting key = its node id under a lease of TTL T, only
// if the key does not exist (one etcd transaction: of several campaigners
// exactly one wins). While it holds the key it renews the lease every
// renew_interval; when it stops renewing — it crashed, it was paused, it
// cannot reach etcd — etcd deletes the key at most T after the last renewal
// it processed, and another node may take it.
//
// Why IsLeader takes `now` and checks a local deadline (RELIABILITY R11):
// etcd's expiry alone does not stop an old master. A master that is
// SIGSTOPped (or stalls in a long GC, or swaps) past its lease is still
// convinced it is master when it runs again, and another node has meanwhile
// taken the key. So leadership here is not a flag the renewal thread clears
// — that thread may be the one that was paused — but a deadline:
//
//     IsLeader(now) == holds the key && now < sent + T - clock_margin
//
// where `sent` is the monotonic time at which the last successful keepalive
// (or the winning lease grant) REQUEST was sent. etcd restarts the lease's
// TTL when it processes the request, which is after `sent`, so etcd's expiry
// is never before our deadline and no other node can hold the key while
// IsLeader is true. The request path checks IsLeader with a fresh clock
// reading per request, so a paused master stops serving the instant it runs
// again, before it can accept a write, whether or not it can reach etcd; the
// renewal thread catching up later changes nothing.
//
// What it does not cover: a pause between a request's IsLeader check and
// its commit (check-then-act). Callers check as late as they can; fencing
// the storage with the lease's revision would close that window and is not
// done. The clock is CLOCK_MONOTONIC (std::chrono::steady_clock): it runs
// through SIGSTOP, but stops during a machine suspend — a suspended master
// resumes believing less time passed; its renewal then fails (the lease is
// gone) within one request timeout, but requests in that window are served.
//
// Campaign policy: when the key is absent the lease asks may_campaign (the
// standby role's ordering rule, standby_role.h) before campaigning; without
// one it always campaigns.
//
// Thread safety: every method may be called from any thread. One background
// thread (Start) renews and campaigns; destruction stops it promptly (within
// one etcd request timeout) and does NOT revoke the lease — call Resign()
// for a clean hand-over; a crash and a destroyed lease look alike to the
// other nodes (the key lapses after T).
#ifndef CAIRN_CLUSTER_LEADER_LEASE_H_
#define CAIRN_CLUSTER_LEADER_LEASE_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cluster/etcd_client.h"
#include "engine/mutex.h"

namespace cairn::cluster {

using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;

struct LeaderLeaseOptions {
  std::string key;        // e.g. LeaderKey(cluster_id)
  uint32_t node_id = 0;   // the key's value while this node leads (1..)
  absl::Duration ttl = absl::Seconds(3);
  absl::Duration renew_interval = absl::Seconds(1);  // also the poll period
  absl::Duration clock_margin = absl::Milliseconds(200);
  // Called on the lease thread when the key is absent: whether to campaign
  // now. `last_leader` is the last holder this lease saw (0: none yet); on
  // false, *why says why not. Null: always campaign.
  std::function<bool(uint32_t last_leader, std::string* why)> may_campaign;
};

class LeaderLease {
 public:
  LeaderLease(std::unique_ptr<EtcdClient> client, LeaderLeaseOptions options);
  ~LeaderLease();
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  // Starts the renewal/campaign thread (once).
  void Start();

  // Whether this node is leader at `now` (see the header comment). Cheap.
  bool IsLeader(MonoTime now) ABSL_LOCKS_EXCLUDED(mu_);

  struct State {
    bool leader = false;
    uint32_t holder = 0;  // who holds the key as last read (0: none/unknown)
    std::string why;      // when not leader
    MonoTime deadline;    // local leadership deadline (if leader)
  };
  State Get(MonoTime now) ABSL_LOCKS_EXCLUDED(mu_);
  // Who holds the key, as last read (this node while leader; 0: nobody or
  // unknown).
  uint32_t Leader() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops leading now (IsLeader is false before the lease is revoked),
  // revokes the lease so another node may take the key at once, and stops
  // campaigning until Campaign() is called.
  [[nodiscard]] absl::Status Resign() ABSL_LOCKS_EXCLUDED(mu_);
  // Allows campaigning again after Resign().
  void Campaign() ABSL_LOCKS_EXCLUDED(mu_);

  // Test hook: while paused the thread neither renews nor campaigns, as if
  // it had stalled (the request path keeps answering from the deadline).
  void PauseForTesting(bool paused) ABSL_LOCKS_EXCLUDED(mu_);
  // Test hook: one renewal/campaign round on the caller's thread (without
  // Start()).
  void StepForTesting() { Step(); }

  const std::string& etcd_endpoint() const { return client_->endpoint(); }

 private:
  void Run();
  // One round: renew (leader) or read the key and maybe campaign.
  void Step() ABSL_LOCKS_EXCLUDED(mu_);
  void Renew(int64_t lease);
  void Observe();
  void TryCampaign(uint32_t last_leader);
  // Records an etcd failure (the first one's time stays as "since").
  void EtcdFailed(const absl::Status& s) ABSL_LOCKS_EXCLUDED(mu_);
  void EtcdOk() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops leadership (lease gone or key lost), with the reason.
  void Lost(const std::string& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string WhyNotLeader(MonoTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<EtcdClient> client_;
  const LeaderLeaseOptions options_;
  const int64_t grant_seconds_;  // ttl rounded up to whole seconds

  Mutex mu_;
  CondVar cv_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool resigned_ ABSL_GUARDED_BY(mu_) = false;
  int64_t lease_ ABSL_GUARDED_BY(mu_) = 0;   // held with the key; 0: none
  MonoTime deadline_ ABSL_GUARDED_BY(mu_);   // local leadership deadline
  uint32_t holder_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t last_leader_ ABSL_GUARDED_BY(mu_) = 0;
  std::string why_ ABSL_GUARDED_BY(mu_) = "not campaigned yet";
  std::string etcd_error_ ABSL_GUARDED_BY(mu_);  // empty: last call worked
  absl::Time etcd_down_since_ ABSL_GUARDED_BY(mu_);
  bool etcd_unreachable_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_LEADER_LEASE_H_
