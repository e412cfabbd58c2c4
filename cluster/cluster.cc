// Cluster: opening, the public operations, Nodes() and the background
// threads. Routing and failure accounting are in cluster_route.cc.
#include "cluster/cluster.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cluster/cluster_node.h"
#include "engine/strings.h"
#include "nlohmann/json.hpp"

namespace cairn::cluster {
namespace {

// Failure reports waiting for the report thread; past it they are dropped
// (counted): a flood of failures must not grow memory.
constexpr size_t kMaxPendingReports = 1024;
// A failure reason is cut to this many bytes in a report.
constexpr size_t kMaxReasonBytes = 1024;

absl::Status BadConfig(std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("cluster config: ", AV(why)));
}

}  // namespace

std::string_view NodeStateName(NodeInfo::State state) {
  switch (state) {
    case NodeInfo::State::kUnknown:
      return "unknown";
    case NodeInfo::State::kUp:
      return "up";
    case NodeInfo::State::kTagged:
      return "tagged";
  }
  return "unknown";
}

std::string NodesToJson(absl::Span<const NodeInfo> nodes) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const NodeInfo& n : nodes) {
    nlohmann::ordered_json j;
    j["id"] = n.id;
    j["address"] = n.address;
    j["state"] = std::string(NodeStateName(n.state));
    j["failures"] = n.failures;
    j["tag_expiry_us"] = nullptr;
    if (n.state == NodeInfo::State::kTagged) {
      j["tag_expiry_us"] = absl::ToUnixMicros(n.tag_expiry);
    }
    j["times_tagged"] = n.times_tagged;
    j["last_error"] = n.last_error;
    j["status_known"] = n.status_known;
    j["capacity"] = n.capacity;
    j["cached_bytes"] = n.cached_bytes;
    j["response_us"] = n.response_us;
    j["ranked"] = n.ranked;
    j["score"] = nullptr;
    if (n.ranked) j["score"] = n.score;
    j["serves"] = n.serves;
    j["master"] = n.master;
    j["why"] = n.why;
    j["standby_position"] = nullptr;
    if (n.standby_position >= 0) j["standby_position"] = n.standby_position;
    out.push_back(std::move(j));
  }
  // Error texts may carry bytes from the network: invalid UTF-8 is
  // replaced (U+FFFD), never thrown.
  return out.dump(-1, ' ', false,
                  nlohmann::ordered_json::error_handler_t::replace);
}

Cluster::Cluster(ClusterConfig config, std::unique_ptr<AuditLog> audit,
                 Clock* clock)
    : config_(std::move(config)), audit_(std::move(audit)), clock_(clock) {}

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Open(
    ClusterConfig config, TransportFactory factory,
    std::unique_ptr<AuditLog> audit, ClusterEnv env) {
  // The config normally comes from ValidateCluster; a hand-made one is
  // checked for what routing relies on.
  if (config.nodes.empty()) return BadConfig("no nodes");
  if (config.nodes.size() > kMaxClusterNodes) {
    return BadConfig(absl::StrCat(config.nodes.size(), " nodes (at most ",
                                  kMaxClusterNodes, ")"));
  }
  if (!factory) return BadConfig("no transport factory");
  if (config.failure_threshold == 0 ||
      config.op_timeout <= absl::ZeroDuration() ||
      config.tag_validity <= absl::ZeroDuration() ||
      config.heartbeat_interval <= absl::ZeroDuration() ||
      config.load_refresh <= absl::ZeroDuration()) {
    return BadConfig(
        "failure_threshold, op_timeout, tag_validity, heartbeat_interval and "
        "load_refresh must be positive");
  }
  if (config.client_id.empty()) return BadConfig("empty client id");
  if (config.choice == MasterChoice::kSlots && config.slot_owner.empty()) {
    if (config.slots == 0) return BadConfig("0 slots");
    config.slot_owner = EvenSlotTable(config.slots, config.nodes);
  }
  if (config.standby_order.empty()) {
    for (const NodeAddress& n : config.nodes) {
      config.standby_order.push_back(n.id);
    }
  }

  std::unique_ptr<Cluster> c(
      new Cluster(std::move(config), std::move(audit),
                  env.clock != nullptr ? env.clock : RealClock()));
  const ClusterConfig& cfg = c->config_;
  for (size_t i = 0; i < cfg.nodes.size(); ++i) {
    const NodeAddress& a = cfg.nodes[i];
    if (a.id == 0 || !c->index_of_.emplace(a.id, i).second) {
      return BadConfig(absl::StrCat("node id ", a.id, " is 0 or repeated"));
    }
    std::unique_ptr<NodeTransport> t = factory(a);
    if (t == nullptr) {
      return absl::InternalError(absl::StrCat(
          "the transport factory made no transport for node ", a.id));
    }
    c->nodes_.push_back(std::make_unique<Node>(
        a, std::move(t), cfg.failure_threshold, cfg.tag_validity));
  }
  if (cfg.slot_owner.size() != 0 && cfg.slot_owner.size() != cfg.slots) {
    return BadConfig(absl::StrCat("the slot table has ", cfg.slot_owner.size(),
                                  " entries for ", cfg.slots, " slots"));
  }
  for (uint32_t owner : cfg.slot_owner) {
    if (c->IndexOf(owner) == SIZE_MAX) {
      return BadConfig(absl::StrCat("the slot table names node ", owner,
                                    ", which is not configured"));
    }
  }
  {
    MutexLock lock(&c->mu_);
    for (uint32_t id : cfg.standby_order) {
      const size_t i = c->IndexOf(id);
      if (i == SIZE_MAX ||
          std::find(c->standby_order_.begin(), c->standby_order_.end(), i) !=
              c->standby_order_.end()) {
        return BadConfig(absl::StrCat("the standby order names node ", id,
                                      " unknown or twice"));
      }
      c->standby_order_.push_back(i);
    }
    if (c->standby_order_.size() != c->nodes_.size()) {
      return BadConfig("the standby order must name every node once");
    }
  }
  if (env.background) {
    c->heartbeat_thread_ = std::thread([p = c.get()] { p->HeartbeatLoop(); });
    c->report_thread_ = std::thread([p = c.get()] { p->ReportLoop(); });
  }
  return c;
}

Cluster::~Cluster() { Close(); }

void Cluster::Close() {
  {
    MutexLock lock(&mu_);
    closing_ = true;
    cv_.SignalAll();
  }
  // Cuts short a heartbeat or report waiting on a stalled node (a transport
  // that cannot interrupt a call still returns by its deadline).
  for (const std::unique_ptr<Node>& n : nodes_) n->transport->Close();
  MutexLock join_lock(&join_mu_);
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  if (report_thread_.joinable()) report_thread_.join();
}

size_t Cluster::IndexOf(uint32_t id) const {
  auto it = index_of_.find(id);
  return it == index_of_.end() ? SIZE_MAX : it->second;
}

absl::Status Cluster::Get(std::string_view key, std::string* value) {
  ClientRequest r;
  r.method = Method::kGet;
  r.ops.push_back(BatchOp{false, std::string(key), ""});
  Outcome o = Execute(std::move(r), key);
  if (!o.status.ok()) return o.status;  // NotFound when absent
  *value = std::move(o.reply.value);
  return absl::OkStatus();
}

absl::Status Cluster::Put(std::string_view key, std::string_view value,
                          bool sync) {
  ClientRequest r;
  r.method = Method::kPut;
  r.sync = sync;
  r.ops.push_back(BatchOp{false, std::string(key), std::string(value)});
  return Execute(std::move(r), key).status;
}

absl::Status Cluster::Delete(std::string_view key, bool sync) {
  ClientRequest r;
  r.method = Method::kDelete;
  r.sync = sync;
  r.ops.push_back(BatchOp{true, std::string(key), ""});
  return Execute(std::move(r), key).status;
}

absl::Status Cluster::Write(absl::Span<const BatchOp> ops, bool sync) {
  ClientRequest r;
  r.method = Method::kBatch;
  r.sync = sync;
  r.ops.assign(ops.begin(), ops.end());
  const std::string first = ops.empty() ? std::string() : ops.front().key;
  return Execute(std::move(r), first).status;
}

absl::StatusOr<ScanResult> Cluster::Scan(std::string_view start,
                                         std::string_view end, uint32_t limit) {
  ClientRequest r;
  r.method = Method::kScan;
  r.scan_start = std::string(start);
  r.scan_end = std::string(end);
  r.scan_limit = limit;
  Outcome o = Execute(std::move(r), start);
  if (!o.status.ok()) return o.status;
  ScanResult result;
  result.entries = std::move(o.reply.entries);
  result.truncated = o.reply.scan_truncated;
  return result;
}

std::vector<NodeInfo> Cluster::Nodes() {
  const absl::Time now = clock_->Now();
  MutexLock lock(&mu_);
  std::vector<NodeInfo> out;
  out.reserve(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& n = *nodes_[i];
    const replication::FailureDetector::State d = n.detector.Get(now);
    NodeInfo info;
    info.id = n.address.id;
    info.address = n.host_port;
    info.state = d.tagged     ? NodeInfo::State::kTagged
                 : n.answered ? NodeInfo::State::kUp
                              : NodeInfo::State::kUnknown;
    info.failures = d.failures;
    if (d.tagged) info.tag_expiry = d.tag_expiry;
    info.times_tagged = d.times_tagged;
    info.last_error = n.last_error;
    info.status_known = n.status_known;
    info.capacity = n.status.capacity;
    info.cached_bytes = n.status.cached_bytes;
    info.response_us = n.status.response_us;
    for (const LoadScore& s : ranking_) {
      if (s.id == info.id) {
        info.ranked = true;
        info.score = s.score;
      }
    }
    info.serves = n.serves;
    info.master = n.master;
    info.why = n.why;
    if (config_.mode == ClusterMode::kStandby) {
      info.standby_position = static_cast<int>(
          std::find(standby_order_.begin(), standby_order_.end(), i) -
          standby_order_.begin());
    }
    out.push_back(std::move(info));
  }
  return out;
}

ClusterStats Cluster::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

void Cluster::QueueReport(size_t node, const ClientRequest& failed,
                          const std::string& why) {
  Report report;
  report.node = node;
  report.request.id = next_request_id_.fetch_add(1);
  report.request.method = Method::kReportFailure;
  report.request.client_id = config_.client_id;
  report.request.failed_request_id = failed.id;
  report.request.failure_reason = why.substr(0, kMaxReasonBytes);
  MutexLock lock(&mu_);
  if (reports_.size() >= kMaxPendingReports) {
    ++stats_.reports_dropped;
    return;
  }
  reports_.push_back(std::move(report));
  cv_.SignalAll();
}

void Cluster::SendReport(const Report& report) {
  const Attempt a = CallNode(report.node, report.request);
  MutexLock lock(&mu_);
  if (a.kind == Attempt::Kind::kAnswer && a.reply.code == 0) {
    ++stats_.reports_sent;
  } else {
    ++stats_.reports_failed;
  }
}

void Cluster::FlushReports() {
  while (true) {
    Report report;
    {
      MutexLock lock(&mu_);
      if (reports_.empty()) return;
      report = std::move(reports_.front());
      reports_.pop_front();
    }
    SendReport(report);
  }
}

void Cluster::HeartbeatLoop() {
  mu_.Lock();
  while (!closing_) {
    mu_.Unlock();
    HeartbeatOnce();
    mu_.Lock();
    const absl::Time next = absl::Now() + config_.heartbeat_interval;
    while (!closing_ && !cv_.WaitWithDeadline(&mu_, next)) {
    }
  }
  mu_.Unlock();
}

void Cluster::ReportLoop() {
  mu_.Lock();
  while (true) {
    while (!closing_ && reports_.empty()) cv_.Wait(&mu_);
    if (closing_) break;
    Report report = std::move(reports_.front());
    reports_.pop_front();
    mu_.Unlock();
    SendReport(report);
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace cairn::cluster
