// In-process clusters for replication tests: several Nodes in one process,
// each with its own database directory and loopback listener (ephemeral
// ports), wired to each other. Every wait is bounded.
#ifndef CAIRN_TESTS_REPLICATION_CLUSTER_UTIL_H_
#define CAIRN_TESTS_REPLICATION_CLUSTER_UTIL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "replication/node.h"
#include "tests/unit/test_util.h"

namespace cairn::replication::testing {

using OptionList = std::vector<std::pair<std::string, std::string>>;

class Cluster {
 public:
  // Nodes 1..n; `options` apply to every node.
  Cluster(int n, OptionList options = {});
  ~Cluster();

  // Opens node `id` (fresh or reopened) with every other node as a peer at
  // its known port (nodes never opened yet are added when they open).
  void Open(uint32_t id, const OptionList& extra = {});
  void Close(uint32_t id);
  // Nodes opened from now on serve clients through handlers `clients` makes
  // (Node::Open's factory); null: none.
  void ServeClients(ClientHandlerFactory clients) {
    clients_ = std::move(clients);
  }
  Node& node(uint32_t id) { return *nodes_.at(id); }
  bool is_open(uint32_t id) const { return nodes_.count(id) > 0; }
  uint16_t port(uint32_t id) const { return ports_.at(id); }
  std::string path(uint32_t id) const;

  nlohmann::json Status(uint32_t id);
  nlohmann::json PeerStatus(uint32_t id, uint32_t peer);

 private:
  int n_;
  OptionList options_;
  ClientHandlerFactory clients_;
  cairn::testing::TempDir dir_;
  std::map<uint32_t, std::unique_ptr<Node>> nodes_;
  std::map<uint32_t, uint16_t> ports_;
};

// Polls `done` every few milliseconds until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& done,
             absl::Duration timeout = absl::Seconds(20));

// The value of `key` on `node`, or "<status>" when it cannot be read.
std::string Read(Node& node, const std::string& key);

}  // namespace cairn::replication::testing

#endif  // CAIRN_TESTS_REPLICATION_CLUSTER_UTIL_H_
