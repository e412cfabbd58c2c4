#include "cluster/standby_role.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace cairn::cluster {

absl::StatusOr<std::unique_ptr<StandbyRole>> StandbyRole::Create(
    StandbyOptions options, const CoordinationConfig& config) {
  if (options.sequence.empty()) {
    return absl::InvalidArgumentError("standby sequence: empty");
  }
  absl::flat_hash_set<uint32_t> seen;
  for (uint32_t id : options.sequence) {
    if (id == 0) {
      return absl::InvalidArgumentError(
          "standby sequence: node id 0 is not a node id");
    }
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("standby sequence: node ", id, " appears twice"));
    }
  }
  if (!seen.contains(options.self)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "standby sequence [", absl::StrJoin(options.sequence, ","),
        "] does not contain this node (", options.self, ")"));
  }
  if (!options.reachable) {
    return absl::InvalidArgumentError(
        "standby role: no peer reachability function");
  }
  std::unique_ptr<StandbyRole> role(
      new StandbyRole(std::move(options), config));
  if (config.use_etcd) {
    EtcdClient::Options eo;
    eo.timeout = config.request_timeout;
    absl::StatusOr<std::unique_ptr<EtcdClient>> client = EtcdClient::Create(
        absl::StrCat(config.etcd_host, ":", config.etcd_port), eo);
    if (!client.ok()) return client.status();
    LeaderLeaseOptions lo;
    lo.key = LeaderKey(role->options_.cluster_id);
    lo.node_id = role->options_.self;
    lo.ttl = config.lease_ttl;
    lo.renew_interval = config.renew_interval;
    lo.clock_margin = config.clock_margin;
    StandbyRole* r = role.get();
    lo.may_campaign = [r](uint32_t last, std::string* why) {
      return r->MayCampaign(last, why);
    };
    role->lease_ =
        std::make_unique<LeaderLease>(*std::move(client), std::move(lo));
  }
  return role;
}

StandbyRole::StandbyRole(StandbyOptions options,
                         const CoordinationConfig& config)
    : options_(std::move(options)), config_(config) {
  view_.serves = false;
  view_.why = "standby role not evaluated yet";
}

StandbyRole::~StandbyRole() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (refresh_thread_.joinable()) refresh_thread_.join();
  lease_.reset();  // stops the lease thread before `this` goes
}

void StandbyRole::Start() {
  if (lease_ != nullptr) {
    lease_->Start();
  } else if (!refresh_thread_.joinable()) {
    refresh_thread_ = std::thread([this] { RunRefresh(); });
  }
}

void StandbyRole::RunRefresh() {
  const auto period = absl::ToChronoNanoseconds(config_.refresh);
  for (;;) {
    Refresh();
    MutexLock lock(&mu_);
    if (stop_) return;
    cv_.WaitFor(&mu_, period);
    if (stop_) return;
  }
}

NodeRole::View StandbyRole::Current() {
  if (lease_ == nullptr) {
    MutexLock lock(&mu_);
    return view_;
  }
  LeaderLease::State s = lease_->Get(MonoClock::now());
  View v;
  v.serves = s.leader;
  // A lapsed lease may still name this node in the key: it is not master.
  v.master = s.leader ? options_.self
                      : (s.holder == options_.self ? 0 : s.holder);
  if (!s.leader) v.why = std::move(s.why);
  return v;
}

void StandbyRole::Refresh() {
  // Ask about the peers outside the lock: reachable() may be slow.
  const size_t n = options_.sequence.size();
  size_t seen = 1;
  uint32_t first = 0;
  std::vector<uint32_t> reachable_ids;
  for (uint32_t id : options_.sequence) {
    const bool up = id == options_.self || options_.reachable(id);
    if (id != options_.self && up) {
      ++seen;
      reachable_ids.push_back(id);
    }
    if (up && first == 0) first = id;
  }
  const bool ready = !options_.ready || options_.ready();
  View v;
  v.serves = false;
  if (seen * 2 <= n) {
    v.why = absl::StrCat(
        "no majority: sees ", seen, " of ", n,
        " nodes of the standby sequence (itself",
        reachable_ids.empty() ? "" : ", ", absl::StrJoin(reachable_ids, ", "),
        "); a minority never serves");
  } else if (first != options_.self) {
    v.master = first;
    v.why = absl::StrCat("node ", first,
                         " precedes this node in the standby sequence and "
                         "is reachable: it is master");
  } else if (!ready) {
    v.why =
        "first reachable node with a majority, but not ready (resync from "
        "the master not finished)";
  } else {
    v.serves = true;
    v.master = options_.self;
  }
  MutexLock lock(&mu_);
  if (resigned_) {
    v.serves = false;
    v.why = "resigned";
  }
  view_ = std::move(v);
}

bool StandbyRole::MayCampaign(uint32_t last_leader, std::string* why) {
  {
    MutexLock lock(&mu_);
    if (resigned_) {
      *why = "resigned";
      return false;
    }
  }
  if (options_.ready && !options_.ready()) {
    *why = "not ready (resync from the master not finished)";
    return false;
  }
  const std::vector<uint32_t>& seq = options_.sequence;
  auto last = std::find(seq.begin(), seq.end(), last_leader);
  // Start right after the last leader, so it comes last.
  const size_t start = last == seq.end() ? 0 : (last - seq.begin()) + 1;
  for (size_t i = 0; i < seq.size(); ++i) {
    const uint32_t id = seq[(start + i) % seq.size()];
    if (id == options_.self) return true;
    if (options_.reachable(id)) {
      *why = absl::StrCat(
          "node ", id, " comes before this node in the standby sequence",
          last_leader != 0 ? absl::StrCat(" (after the last leader, node ",
                                          last_leader, ")")
                           : "",
          " and is reachable");
      return false;
    }
  }
  return true;
}

absl::Status StandbyRole::Resign() {
  {
    MutexLock lock(&mu_);
    resigned_ = true;
    view_.serves = false;
    view_.why = "resigned";
  }
  return lease_ != nullptr ? lease_->Resign() : absl::OkStatus();
}

void StandbyRole::Rejoin() {
  {
    MutexLock lock(&mu_);
    resigned_ = false;
  }
  if (lease_ != nullptr) lease_->Campaign();
}

absl::StatusOr<absl::flat_hash_map<uint32_t, bool>>
ReachabilityFromReplicationStatus(std::string_view json) {
  using Json = nlohmann::json;
  Json j = Json::parse(json.begin(), json.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(
        "cairn.replication property: not a JSON object");
  }
  absl::flat_hash_map<uint32_t, bool> out;
  auto peers = j.find("peers");
  if (peers == j.end()) return out;  // replication off: no peers
  if (!peers->is_array()) {
    return absl::InvalidArgumentError(
        "cairn.replication property: peers is not an array");
  }
  for (const Json& p : *peers) {
    auto id = p.find("id");
    auto state = p.find("state");
    if (!p.is_object() || id == p.end() || !id->is_number_unsigned() ||
        state == p.end() || !state->is_string()) {
      return absl::InvalidArgumentError(
          "cairn.replication property: a peer without id and state");
    }
    const std::string& s = state->get_ref<const std::string&>();
    auto tagged = p.find("tagged");
    const bool is_tagged =
        tagged != p.end() && tagged->is_boolean() && tagged->get<bool>();
    out[id->get<uint32_t>()] = (s == "up" || s == "resyncing") && !is_tagged;
  }
  return out;
}

}  // namespace cairn::cluster
