#include "cluster/leader_lease.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cairn::cluster {
namespace {

// The node id a leader key holds (0 when it is not one).
uint32_t NodeIdOf(const EtcdKeyValue& kv) {
  uint32_t id = 0;
  if (!absl::SimpleAtoi(kv.value, &id)) return 0;
  return id;
}

MonoClock::duration Chrono(absl::Duration d) {
  return std::chrono::duration_cast<MonoClock::duration>(
      absl::ToChronoNanoseconds(d));
}

}  // namespace

LeaderLease::LeaderLease(std::unique_ptr<EtcdClient> client,
                         LeaderLeaseOptions options)
    : client_(std::move(client)),
      options_(std::move(options)),
      grant_seconds_(std::max<int64_t>(
          1, absl::ToInt64Seconds(absl::Ceil(options_.ttl, absl::Seconds(1))))) {
}

LeaderLease::~LeaderLease() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

void LeaderLease::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void LeaderLease::Run() {
  for (;;) {
    const MonoTime round = MonoClock::now();
    Step();
    // The next round starts one interval after this one started, so slow
    // etcd calls do not stretch the renewal period.
    const MonoTime next = round + Chrono(options_.renew_interval);
    MutexLock lock(&mu_);
    while (!stop_ && MonoClock::now() < next) {
      cv_.WaitFor(&mu_, next - MonoClock::now());
    }
    if (stop_) return;
  }
}

bool LeaderLease::IsLeader(MonoTime now) {
  MutexLock lock(&mu_);
  return lease_ != 0 && now < deadline_;
}

LeaderLease::State LeaderLease::Get(MonoTime now) {
  MutexLock lock(&mu_);
  State s;
  s.leader = lease_ != 0 && now < deadline_;
  s.holder = holder_;
  s.deadline = deadline_;
  if (!s.leader) s.why = WhyNotLeader(now);
  return s;
}

uint32_t LeaderLease::Leader() {
  MutexLock lock(&mu_);
  return holder_;
}

absl::Status LeaderLease::Resign() {
  int64_t lease = 0;
  {
    MutexLock lock(&mu_);
    lease = lease_;
    lease_ = 0;
    deadline_ = MonoTime();
    resigned_ = true;
    why_ = "resigned";
    if (holder_ == options_.node_id) holder_ = 0;
  }
  if (lease == 0) return absl::OkStatus();
  return client_->LeaseRevoke(lease);
}

void LeaderLease::Campaign() {
  MutexLock lock(&mu_);
  resigned_ = false;
}

void LeaderLease::PauseForTesting(bool paused) {
  {
    MutexLock lock(&mu_);
    paused_ = paused;
  }
  cv_.SignalAll();
}

void LeaderLease::Step() {
  int64_t lease = 0;
  {
    MutexLock lock(&mu_);
    if (paused_ || stop_) return;
    lease = lease_;
  }
  if (lease != 0) {
    Renew(lease);
  } else {
    Observe();
  }
}

void LeaderLease::Renew(int64_t lease) {
  const MonoTime sent = MonoClock::now();
  absl::StatusOr<int64_t> ttl = client_->LeaseKeepAlive(lease);
  if (!ttl.ok() && ttl.status().code() == absl::StatusCode::kNotFound) {
    MutexLock lock(&mu_);
    EtcdOk();
    if (lease_ == lease) {
      Lost("lease expired in etcd before it was renewed");
    }
    return;
  }
  if (!ttl.ok()) {
    EtcdFailed(ttl.status());
    return;
  }
  // The lease lives; check that the key is still ours under it (an operator
  // or a bug may have deleted or overwritten it).
  absl::StatusOr<std::optional<EtcdKeyValue>> kv = client_->Get(options_.key);
  if (!kv.ok()) {
    EtcdFailed(kv.status());
    return;
  }
  bool revoke = false;
  {
    MutexLock lock(&mu_);
    EtcdOk();
    if (lease_ != lease) return;  // resigned meanwhile
    const bool ours = kv->has_value() && (*kv)->lease == lease &&
                      NodeIdOf(**kv) == options_.node_id;
    if (!ours) {
      holder_ = kv->has_value() ? NodeIdOf(**kv) : 0;
      Lost(holder_ != 0 ? absl::StrCat("leader key lost: leader is node ",
                                       holder_)
                        : "leader key lost: deleted in etcd");
      revoke = true;
    } else {
      const absl::Duration valid =
          std::min(options_.ttl, absl::Seconds(*ttl)) - options_.clock_margin;
      deadline_ = std::max(deadline_, sent + Chrono(valid));
      holder_ = options_.node_id;
    }
  }
  if (revoke) (void)client_->LeaseRevoke(lease);
}

void LeaderLease::Observe() {
  absl::StatusOr<std::optional<EtcdKeyValue>> kv = client_->Get(options_.key);
  if (!kv.ok()) {
    EtcdFailed(kv.status());
    return;
  }
  uint32_t last_leader = 0;
  {
    MutexLock lock(&mu_);
    EtcdOk();
    if (kv->has_value()) {
      holder_ = NodeIdOf(**kv);
      if (holder_ == 0) {
        why_ = absl::StrCat("the leader key holds '", (*kv)->value.substr(0, 32),
                            "', not a node id");
      } else if (holder_ == options_.node_id) {
        why_ = absl::StrCat(
            "the leader key names this node under lease ", (*kv)->lease,
            " of an earlier run; waiting for it to lapse");
      } else {
        why_ = absl::StrCat("leader is node ", holder_);
      }
      if (holder_ != 0) last_leader_ = holder_;
      return;
    }
    holder_ = 0;
    if (resigned_) {
      why_ = "resigned: not campaigning";
      return;
    }
    last_leader = last_leader_;
  }
  TryCampaign(last_leader);
}

void LeaderLease::TryCampaign(uint32_t last_leader) {
  std::string why;
  if (options_.may_campaign && !options_.may_campaign(last_leader, &why)) {
    MutexLock lock(&mu_);
    why_ = absl::StrCat("no leader; not campaigning: ", why);
    return;
  }
  const MonoTime sent = MonoClock::now();
  absl::StatusOr<EtcdLease> grant = client_->LeaseGrant(grant_seconds_);
  if (!grant.ok()) {
    EtcdFailed(grant.status());
    return;
  }
  absl::StatusOr<EtcdTxnReply> txn = client_->CreateIfAbsent(
      options_.key, absl::StrCat(options_.node_id), grant->id);
  bool won = false;
  if (!txn.ok()) {
    EtcdFailed(txn.status());
  } else {
    MutexLock lock(&mu_);
    EtcdOk();
    if (!txn->succeeded) {
      holder_ = txn->current.has_value() ? NodeIdOf(*txn->current) : 0;
      if (holder_ != 0) last_leader_ = holder_;
      why_ = absl::StrCat("leader is node ", holder_,
                          " (it won the campaign)");
    } else if (resigned_ || stop_) {
      why_ = "resigned: not campaigning";
    } else {
      won = true;
      lease_ = grant->id;
      const absl::Duration valid =
          std::min(options_.ttl, absl::Seconds(grant->ttl_seconds)) -
          options_.clock_margin;
      deadline_ = sent + Chrono(valid);
      holder_ = options_.node_id;
      last_leader_ = options_.node_id;
      why_.clear();
    }
  }
  // A lost campaign's lease (and, after a failed txn, the key it may have
  // put) goes now rather than after its TTL.
  if (!won) (void)client_->LeaseRevoke(grant->id);
}

void LeaderLease::EtcdFailed(const absl::Status& s) {
  MutexLock lock(&mu_);
  if (etcd_error_.empty()) etcd_down_since_ = absl::Now();
  etcd_error_ = std::string(s.message());
  etcd_unreachable_ = s.code() == absl::StatusCode::kUnavailable;
}

void LeaderLease::EtcdOk() { etcd_error_.clear(); }

void LeaderLease::Lost(const std::string& why) {
  lease_ = 0;
  deadline_ = MonoTime();
  why_ = why;
}

std::string LeaderLease::WhyNotLeader(MonoTime now) {
  std::string etcd;
  if (!etcd_error_.empty()) {
    etcd = absl::StrCat(
        "etcd at ", client_->endpoint(),
        etcd_unreachable_ ? " unreachable since " : " failing since ",
        absl::FormatTime("%H:%M:%E3S UTC", etcd_down_since_,
                         absl::UTCTimeZone()),
        " (", etcd_error_, ")");
  }
  if (lease_ != 0 && now >= deadline_) {
    return absl::StrCat(
        "lease expired: not renewed within the lease TTL (",
        absl::FormatDuration(options_.ttl), "); ",
        etcd.empty() ? "the renewal stalled" : etcd);
  }
  if (!etcd.empty()) {
    return holder_ != 0 ? absl::StrCat(etcd, "; last seen leader: node ",
                                       holder_)
                        : etcd;
  }
  return why_;
}

}  // namespace cairn::cluster
