// Cluster: routing a request, classifying each attempt, SPEC C3 accounting,
// heartbeats, the "no node" message and the audit record (cluster.h).
#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cluster/cluster.h"
#include "cluster/cluster_node.h"
#include "cluster/refusal.h"
#include "engine/strings.h"

namespace cairn::cluster {
namespace {

constexpr uint32_t kMaxStatusCode =
    static_cast<uint32_t>(absl::StatusCode::kUnauthenticated);

// An error reply with one of these codes is a fault of the node (cluster.h).
bool IsNodeFault(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

}  // namespace

Cluster::Outcome Cluster::Execute(ClientRequest request,
                                  std::string_view routing_key) {
  const absl::Time start = clock_->Now();
  request.id = next_request_id_.fetch_add(1);
  request.client_id = config_.client_id;
  bool closed = false;
  {
    MutexLock lock(&mu_);
    ++stats_.requests;
    closed = closing_;
  }
  int64_t shard = -1;
  Outcome out;
  if (closed) {
    out.status = absl::FailedPreconditionError("the cluster client is closed");
  } else {
    out = Dispatch(&request, routing_key, &shard);
  }
  Audit(request, start, out, shard);
  return out;
}

Cluster::Outcome Cluster::Dispatch(ClientRequest* request,
                                   std::string_view routing_key,
                                   int64_t* shard) {
  const std::string_view method = MethodName(request->method);
  Outcome out;
  // What the node would refuse anyway is refused here, before routing.
  if (request->method == Method::kBatch && request->ops.empty()) {
    out.status = absl::InvalidArgumentError("batch: no operations");
    return out;
  }
  if (request->method == Method::kScan && request->scan_limit == 0) {
    out.status = absl::InvalidArgumentError("scan: limit 0 (must be > 0)");
    return out;
  }
  if (request->method == Method::kBatch &&
      config_.mode == ClusterMode::kActive &&
      config_.choice == MasterChoice::kSlots) {
    const uint32_t first_slot =
        SlotOf(KeyHash(request->ops[0].key), config_.slots);
    for (const BatchOp& op : request->ops) {
      const uint32_t slot = SlotOf(KeyHash(op.key), config_.slots);
      if (config_.slot_owner[slot] != config_.slot_owner[first_slot]) {
        out.status = absl::InvalidArgumentError(absl::StrCat(
            "batch: its keys map to slots of different nodes (slot ",
            first_slot, " of node ", config_.slot_owner[first_slot], ", slot ",
            slot, " of node ", config_.slot_owner[slot],
            "); a batch is applied by one node"));
        return out;
      }
    }
  }

  std::vector<std::string> tried(nodes_.size());
  Route route;
  {
    MutexLock lock(&mu_);
    route = PlanRoute(routing_key, clock_->Now());
  }
  *shard = route.shard;
  if (route.candidates.empty()) {
    out.status = Unavailable(
        method, route.refusal.empty() ? "no node is available" : route.refusal,
        tried, clock_->Now());
    return out;
  }

  std::deque<size_t> queue(route.candidates.begin(), route.candidates.end());
  bool followed = false;
  uint32_t faults = 0;
  while (!queue.empty()) {
    const size_t i = queue.front();
    queue.pop_front();
    if (!tried[i].empty()) continue;
    Attempt a = CallNode(i, *request);
    const absl::Time now = clock_->Now();
    out.node = i;
    switch (a.kind) {
      case Attempt::Kind::kAnswer: {
        {
          MutexLock lock(&mu_);
          RecordGood(i, now);
        }
        if (a.reply.code != 0) {
          out.status = absl::Status(static_cast<absl::StatusCode>(a.reply.code),
                                    absl::StrCat("node ", nodes_[i]->address.id,
                                                 ": ", a.reply.message));
        } else if (request->method == Method::kGet && !a.reply.found) {
          out.status = absl::NotFoundError(absl::StrCat(
              "key '", absl::CEscape(AV(routing_key.substr(0, 64))),
              "' not found"));
        }
        out.reply = std::move(a.reply);
        return out;
      }
      case Attempt::Kind::kRefused: {
        tried[i] = absl::StrCat("refused: ", a.text);
        MutexLock lock(&mu_);
        ++stats_.refusals;
        RecordGood(i, now);
        Node& n = *nodes_[i];
        n.serves = false;
        n.master = a.master;
        n.why = a.text;
        if (config_.mode == ClusterMode::kStandby && !followed &&
            a.master != 0) {
          const size_t m = IndexOf(a.master);
          if (m != SIZE_MAX && tried[m].empty() &&
              !nodes_[m]->detector.IsTagged(now)) {
            queue.push_front(m);
            followed = true;
          }
        }
        break;
      }
      case Attempt::Kind::kFault: {
        tried[i] = a.text;
        {
          MutexLock lock(&mu_);
          ++stats_.faults;
          RecordFault(i, a.text, now);
        }
        QueueReport(i, *request, a.text);
        ++faults;
        // (With slots the route holds the slot's node only: no retry.)
        if (faults > config_.retries) {
          queue.clear();
        } else if (!queue.empty()) {
          MutexLock lock(&mu_);
          ++stats_.retries;
        }
        break;
      }
    }
  }
  out.status =
      Unavailable(method, "no node could serve it", tried, clock_->Now());
  return out;
}

Cluster::Route Cluster::PlanRoute(std::string_view routing_key,
                                  absl::Time now) {
  Route route;
  // Available nodes, and untagged nodes that said they do not serve (asked
  // last: they may have taken over since). Both in node order.
  enum Kind : uint8_t { kTagged, kAvailable, kNotServing };
  std::vector<Kind> kind(nodes_.size(), kTagged);
  std::vector<size_t> available;
  std::vector<size_t> not_serving;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->detector.IsTagged(now)) continue;
    kind[i] = nodes_[i]->serves ? kAvailable : kNotServing;
    (kind[i] == kAvailable ? available : not_serving).push_back(i);
  }
  const auto by_id = [&](size_t a, size_t b) {
    return nodes_[a]->address.id < nodes_[b]->address.id;
  };
  const auto append = [&](std::vector<size_t> v) {  // in id order
    std::sort(v.begin(), v.end(), by_id);
    route.candidates.insert(route.candidates.end(), v.begin(), v.end());
  };
  const auto append_ids = [&](const std::vector<uint32_t>& order) {
    for (uint32_t id : order) route.candidates.push_back(IndexOf(id));
  };
  std::vector<uint32_t> available_ids;
  for (size_t i : available) available_ids.push_back(nodes_[i]->address.id);

  if (config_.mode == ClusterMode::kStandby) {
    for (Kind k : {kAvailable, kNotServing}) {
      for (size_t i : standby_order_) {
        if (kind[i] == k) route.candidates.push_back(i);
      }
    }
    return route;
  }
  const uint64_t hash = KeyHash(routing_key);
  switch (config_.choice) {
    case MasterChoice::kLoad: {
      MaybeRefreshLoad(now);
      std::vector<bool> placed(nodes_.size(), false);
      for (const LoadScore& s : ranking_) {
        const size_t i = IndexOf(s.id);
        if (kind[i] != kAvailable) continue;  // no longer available
        route.candidates.push_back(i);
        placed[i] = true;
      }
      std::vector<size_t> unranked;
      for (size_t i : available) {
        if (!placed[i]) unranked.push_back(i);
      }
      append(std::move(unranked));
      break;
    }
    case MasterChoice::kHash:
      append_ids(HashOrder(hash, available_ids));
      break;
    case MasterChoice::kConsistentHash:
      append_ids(RendezvousOrder(hash, available_ids));
      break;
    case MasterChoice::kSlots: {
      const uint32_t slot = SlotOf(hash, config_.slots);
      route.shard = slot;
      const size_t i = IndexOf(config_.slot_owner[slot]);
      if (kind[i] == kTagged) {
        route.refusal =
            absl::StrCat("slot ", slot, " belongs to node ",
                         nodes_[i]->address.id, ", tagged failed until ",
                         TimeText(nodes_[i]->detector.Get(now).tag_expiry));
      } else {
        route.candidates.push_back(i);
      }
      return route;
    }
  }
  append(std::move(not_serving));
  return route;
}

void Cluster::MaybeRefreshLoad(absl::Time now) {
  bool any_known = false;
  for (const std::unique_ptr<Node>& n : nodes_) any_known |= n->status_known;
  if (now < next_refresh_ && !(ranking_.empty() && any_known)) return;
  std::vector<LoadSample> samples;
  for (const std::unique_ptr<Node>& n : nodes_) {
    if (!n->status_known || !n->serves || n->detector.IsTagged(now)) continue;
    samples.push_back(LoadSample{n->address.id, n->status.capacity,
                                 n->status.cached_bytes,
                                 n->status.response_us});
  }
  ranking_ = RankByLoad(samples);
  next_refresh_ = now + config_.load_refresh;
}

Cluster::Attempt Cluster::CallNode(size_t node, const ClientRequest& request) {
  Node& n = *nodes_[node];
  Attempt a;
  absl::StatusOr<ClientReply> reply =
      n.transport->Call(request, absl::Now() + config_.op_timeout);
  if (!reply.ok()) {
    a.text = absl::StrCat("transport: ", reply.status().ToString());
    return a;
  }
  if (reply->id != request.id) {
    a.text = absl::StrCat("garbage: the reply is to request ", reply->id,
                          ", not ", request.id);
    return a;
  }
  if (reply->code > kMaxStatusCode) {
    a.text = absl::StrCat("garbage: unknown status code ", reply->code);
    return a;
  }
  const Refusal refusal = ParseRefusal(*reply);
  const auto code = static_cast<absl::StatusCode>(reply->code);
  if (refusal.refused) {
    a.kind = Attempt::Kind::kRefused;
    a.master = refusal.master;
    a.text = reply->message;
  } else if (IsNodeFault(code)) {
    a.text = absl::StrCat("answered ", absl::StatusCodeToString(code), ": ",
                          reply->message);
  } else {
    a.kind = Attempt::Kind::kAnswer;
  }
  a.reply = *std::move(reply);
  return a;
}

void Cluster::RecordGood(size_t node, absl::Time now) {
  Node& n = *nodes_[node];
  n.detector.RecordSuccess(now);
  n.answered = true;
}

void Cluster::RecordFault(size_t node, const std::string& why, absl::Time now) {
  Node& n = *nodes_[node];
  n.last_error = why;
  n.detector.RecordFailure(now);
  const uint64_t times_tagged = n.detector.Get(now).times_tagged;
  if (times_tagged != n.seen_times_tagged) {
    n.seen_times_tagged = times_tagged;
    // C2: a failed node rejoins at the end of the sequence.
    auto it = std::find(standby_order_.begin(), standby_order_.end(), node);
    if (it != standby_order_.end()) {
      standby_order_.erase(it);
      standby_order_.push_back(node);
    }
  }
}

void Cluster::RecordStatus(size_t node, const NodeStatus& status) {
  Node& n = *nodes_[node];
  n.status_known = true;
  n.status = status;
  n.serves = status.serves;
  n.master = status.master;
  n.why = status.why;
}

void Cluster::HeartbeatOnce() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    {
      MutexLock lock(&mu_);
      if (closing_) return;  // Close() waits for this round
    }
    ClientRequest request;
    request.id = next_request_id_.fetch_add(1);
    request.method = Method::kStatus;
    request.client_id = config_.client_id;
    Attempt a = CallNode(i, request);
    const uint32_t id = nodes_[i]->address.id;
    if (a.kind == Attempt::Kind::kAnswer && a.reply.code != 0) {
      // Any error in answer to a status is a bad heartbeat reply.
      a.kind = Attempt::Kind::kFault;
      a.text = absl::StrCat(
          "answered ",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(a.reply.code)),
          ": ", a.reply.message);
    } else if (a.kind == Attempt::Kind::kAnswer &&
               a.reply.status.node_id != 0 && a.reply.status.node_id != id) {
      a.kind = Attempt::Kind::kFault;
      a.text = absl::StrCat("garbage: the node at ", nodes_[i]->host_port,
                            " says it is node ", a.reply.status.node_id);
    }
    const absl::Time now = clock_->Now();
    MutexLock lock(&mu_);
    ++stats_.heartbeats;
    switch (a.kind) {
      case Attempt::Kind::kAnswer:
        RecordGood(i, now);
        RecordStatus(i, a.reply.status);
        break;
      case Attempt::Kind::kRefused:
        RecordGood(i, now);
        nodes_[i]->serves = false;
        nodes_[i]->master = a.master;
        nodes_[i]->why = a.text;
        break;
      case Attempt::Kind::kFault:
        RecordFault(i, absl::StrCat("heartbeat: ", a.text), now);
        break;
    }
  }
  // Keeps Nodes()' scores current when no request comes (still at most
  // once per load_refresh).
  if (config_.mode == ClusterMode::kActive &&
      config_.choice == MasterChoice::kLoad) {
    MutexLock lock(&mu_);
    MaybeRefreshLoad(clock_->Now());
  }
}

std::string Cluster::NodeLine(size_t node, const std::string& tried,
                              absl::Time now) {
  Node& n = *nodes_[node];
  if (!tried.empty()) return absl::StrCat(n.name, ": ", tried);
  const replication::FailureDetector::State d = n.detector.Get(now);
  if (d.tagged) {
    return absl::StrCat(n.name, ": tagged failed until ",
                        TimeText(d.tag_expiry), " after ", d.failures,
                        " failures (last: ", n.last_error, ")");
  }
  if (!n.serves) {
    return absl::StrCat(
        n.name, ": refused: ", n.why.empty() ? "does not serve" : n.why);
  }
  if (d.failures > 0) {
    return absl::StrCat(n.name, ": not tried (", d.failures,
                        " failures, last: ", n.last_error, ")");
  }
  return absl::StrCat(n.name, ": not tried");
}

absl::Status Cluster::Unavailable(std::string_view method,
                                  std::string_view lead,
                                  const std::vector<std::string>& tried,
                                  absl::Time now) {
  std::vector<std::string> lines;
  MutexLock lock(&mu_);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    lines.push_back(NodeLine(i, tried[i], now));
  }
  return absl::UnavailableError(absl::StrCat(AV(method), ": ", AV(lead), ": ",
                                             absl::StrJoin(lines, "; ")));
}

void Cluster::Audit(const ClientRequest& request, absl::Time start,
                    const Outcome& outcome, int64_t shard) {
  if (audit_ == nullptr) return;
  AuditRecord r;
  r.start = start;
  r.end = clock_->Now();
  r.client_id = config_.client_id;
  if (outcome.node != SIZE_MAX) {
    r.client_address = nodes_[outcome.node]->transport->LocalAddress();
    r.node = nodes_[outcome.node]->address.id;
  }
  r.method = std::string(MethodName(request.method));
  r.params = AuditParams(request, config_.audit.key_bytes);
  r.shard = shard;
  r.outcome = absl::StatusCodeToString(outcome.status.code());
  r.message = std::string(outcome.status.message());
  const absl::Status s = audit_->Append(r);
  MutexLock lock(&mu_);
  ++(s.ok() ? stats_.audit_records : stats_.audit_failures);
}

}  // namespace cairn::cluster
