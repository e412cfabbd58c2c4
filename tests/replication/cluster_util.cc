#include "tests/replication/cluster_util.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace cairn::replication::testing {

Cluster::Cluster(int n, OptionList options)
    : n_(n), options_(std::move(options)) {}

Cluster::~Cluster() {
  // Close every node before the directory goes.
  nodes_.clear();
}

std::string Cluster::path(uint32_t id) const {
  return dir_.Sub(absl::StrCat("node", id));
}

void Cluster::Open(uint32_t id, const OptionList& extra) {
  NodeOptions o;
  o.engine.create_if_missing = true;
  auto set = [&](const std::string& k, const std::string& v) {
    absl::Status s = SetNodeOption(&o, k, v);
    ASSERT_TRUE(s.ok()) << s;
  };
  set("cache.capacity_mb", "4");
  set("cache.instances", "1");
  set("replication.node_id", absl::StrCat(id));
  set("replication.heartbeat_ms", "100");
  set("replication.digest_interval_ms", "0");
  // A reopened node keeps its port, so its peers find it again.
  set("replication.listen",
      absl::StrCat("127.0.0.1:", ports_.count(id) ? ports_[id] : 0));
  std::string peers;
  for (auto& [pid, port] : ports_) {
    if (pid == id) continue;
    absl::StrAppend(&peers, peers.empty() ? "" : ",", pid, "@127.0.0.1:", port);
  }
  set("replication.peers", peers);
  for (auto& [k, v] : options_) set(k, v);
  for (auto& [k, v] : extra) set(k, v);
  absl::StatusOr<std::unique_ptr<Node>> node = Node::Open(o, path(id), DbEnv(), clients_);
  ASSERT_TRUE(node.ok()) << node.status();
  nlohmann::json st = nlohmann::json::parse(*(*node)->Property("cairn.replication"));
  const bool first_time = ports_.count(id) == 0;
  ports_[id] = st["listen_port"].get<uint16_t>();
  if (first_time) {
    // Tell the nodes already open about the new one.
    for (auto& [pid, other] : nodes_) {
      absl::Status s =
          other->AddPeer(absl::StrCat(id, "@127.0.0.1:", ports_[id]));
      ASSERT_TRUE(s.ok()) << s;
    }
  }
  nodes_[id] = std::move(*node);
}

void Cluster::Close(uint32_t id) { nodes_.erase(id); }

nlohmann::json Cluster::Status(uint32_t id) {
  return nlohmann::json::parse(*node(id).Property("cairn.replication"));
}

nlohmann::json Cluster::PeerStatus(uint32_t id, uint32_t peer) {
  nlohmann::json st = Status(id);
  for (const auto& p : st["peers"]) {
    if (p["id"] == peer) return p;
  }
  return nlohmann::json::object();
}

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

std::string Read(Node& node, const std::string& key) {
  std::string v;
  absl::Status s = node.Get(ReadOptions(), key, &v);
  if (!s.ok()) return absl::StrCat("<", absl::StatusCodeToString(s.code()), ">");
  return v;
}

}  // namespace cairn::replication::testing
