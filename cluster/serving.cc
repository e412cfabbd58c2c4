#include "cluster/serving.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cluster/client_session.h"
#include "cluster/standby_role.h"
#include "engine/mutex.h"
#include "nlohmann/json.hpp"

namespace cairn::cluster {
namespace {

// The node as the role's callbacks see it: cleared (under the lock) before
// the node stops its replicator, so a callback never reads a node that is
// going away; a cleared view answers "unreachable" and "not ready".
class NodeView {
 public:
  explicit NodeView(replication::Node* node) : node_(node) {}

  void Clear() {
    MutexLock lock(&mu_);
    node_ = nullptr;
  }

  // The "cairn.replication" property; "" once cleared or on error.
  std::string ReplicationStatus() {
    MutexLock lock(&mu_);
    if (node_ == nullptr) return "";
    absl::StatusOr<std::string> s = node_->Property("cairn.replication");
    return s.ok() ? *s : "";
  }

 private:
  Mutex mu_;
  replication::Node* node_ ABSL_GUARDED_BY(mu_);
};

bool Reachable(NodeView* view, uint32_t id) {
  absl::StatusOr<absl::flat_hash_map<uint32_t, bool>> r =
      ReachabilityFromReplicationStatus(view->ReplicationStatus());
  if (!r.ok()) return false;
  auto it = r->find(id);
  return it != r->end() && it->second;
}

// No peer's snapshot stream to this node is unfinished.
bool Ready(NodeView* view) {
  const std::string json = view->ReplicationStatus();
  if (json.empty()) return false;
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto peers = j.find("peers");
  if (peers == j.end() || !peers->is_array()) return true;
  for (const nlohmann::json& p : *peers) {
    auto in = p.find("inbound");
    if (in == p.end() || !in->is_object()) continue;
    auto r = in->find("resyncing");
    if (r != in->end() && r->is_boolean() && r->get<bool>()) return false;
  }
  return true;
}

// ClientSessions whose standby role starts with the node's replicator and
// stops reading the node before the node stops it.
class StandbySessions final : public replication::ClientHandler {
 public:
  StandbySessions(replication::Node* node, std::shared_ptr<StandbyRole> role,
                  std::shared_ptr<NodeView> view)
      : role_(std::move(role)),
        view_(std::move(view)),
        sessions_(node, role_) {}

  void Serve(replication::Connection* conn,
             const replication::Hello& hello) override {
    sessions_.Serve(conn, hello);
  }
  // The sessions' counters and role view, plus the sequence and how the
  // master is chosen.
  std::string StatusJson() override {
    nlohmann::ordered_json j =
        nlohmann::ordered_json::parse(sessions_.StatusJson());
    j["mode"] = "standby";
    j["standby_sequence"] = role_->options().sequence;
    j["coordination"] = role_->lease() != nullptr ? "etcd" : "majority";
    return j.dump();
  }
  void Start() override { role_->Start(); }
  void Stop() override {
    // A clean close hands mastership over now (etcd: revokes the lease);
    // a failure here only means the successor waits for the TTL.
    (void)role_->Resign();
    view_->Clear();
  }

 private:
  const std::shared_ptr<StandbyRole> role_;
  const std::shared_ptr<NodeView> view_;
  ClientSessions sessions_;
};

absl::Status BadOrder(absl::string_view order, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("option node.standby_order: ", why, " ('", order, "')"));
}

}  // namespace

absl::StatusOr<std::vector<uint32_t>> StandbySequence(
    const replication::NodeOptions& options) {
  const uint32_t self = static_cast<uint32_t>(options.replication.node_id);
  absl::flat_hash_set<uint32_t> members = {self};
  for (absl::string_view spec :
       absl::StrSplit(options.replication.peers, ',', absl::SkipWhitespace())) {
    absl::StatusOr<replication::PeerAddress> p =
        replication::ParsePeer(std::string(absl::StripAsciiWhitespace(spec)));
    if (!p.ok()) return p.status();
    members.insert(p->id);
  }
  std::vector<uint32_t> sequence;
  const std::string& order = options.serve.standby_order;
  if (order.empty()) {
    sequence.assign(members.begin(), members.end());
    std::sort(sequence.begin(), sequence.end());
    return sequence;
  }
  absl::flat_hash_set<uint32_t> seen;
  for (absl::string_view part :
       absl::StrSplit(order, ',', absl::SkipWhitespace())) {
    part = absl::StripAsciiWhitespace(part);
    uint32_t id = 0;
    if (!absl::SimpleAtoi(part, &id) || id == 0) {
      return BadOrder(order, absl::StrCat("'", part, "' is not a node id"));
    }
    if (!members.contains(id)) {
      return BadOrder(order, absl::StrCat("node ", id,
                                          " is neither this node nor one of "
                                          "replication.peers"));
    }
    if (!seen.insert(id).second) {
      return BadOrder(order, absl::StrCat("node ", id, " appears twice"));
    }
    sequence.push_back(id);
  }
  for (uint32_t id : members) {
    if (!seen.contains(id)) {
      return BadOrder(order, absl::StrCat("node ", id, " is missing"));
    }
  }
  return sequence;
}

replication::ClientHandlerFactory ServeClientsAs(
    const CoordinationOptions& coordination) {
  return [coordination](replication::Node* node)
             -> absl::StatusOr<std::unique_ptr<replication::ClientHandler>> {
    const replication::NodeOptions& options = node->options();
    if (options.serve.mode != "standby") {
      return std::make_unique<ClientSessions>(node, nullptr);
    }
    absl::StatusOr<std::vector<uint32_t>> sequence = StandbySequence(options);
    if (!sequence.ok()) return sequence.status();
    absl::StatusOr<CoordinationConfig> config =
        ValidateCoordination(coordination);
    if (!config.ok()) return config.status();
    auto view = std::make_shared<NodeView>(node);
    StandbyOptions so;
    so.self = static_cast<uint32_t>(options.replication.node_id);
    so.sequence = std::move(*sequence);
    so.cluster_id = options.replication.cluster_id;
    so.reachable = [view](uint32_t id) { return Reachable(view.get(), id); };
    so.ready = [view] { return Ready(view.get()); };
    absl::StatusOr<std::unique_ptr<StandbyRole>> role =
        StandbyRole::Create(std::move(so), *config);
    if (!role.ok()) return role.status();
    return std::make_unique<StandbySessions>(
        node, std::shared_ptr<StandbyRole>(std::move(*role)), std::move(view));
  };
}

}  // namespace cairn::cluster
