// A Cluster over fake nodes and a fake clock, for the routing tests. By
// default no background thread runs: the test calls HeartbeatOnce() and
// FlushReports() itself, so every transition is deterministic.
#ifndef CAIRN_TESTS_CLUSTER_CLUSTER_FIXTURE_H_
#define CAIRN_TESTS_CLUSTER_CLUSTER_FIXTURE_H_

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cluster/cluster.h"
#include "cluster/options.h"
#include "gtest/gtest.h"
#include "tests/cluster/cluster_fakes.h"

namespace cairn::cluster::testing {

class ClusterTest : public ::testing::Test {
 public:
  // `n` nodes 1..n on 127.0.0.1:7001.., N = 2, validity 10 s, op timeout
  // 50 ms, load refresh 1 s, one retry.
  static ClusterOptions Options(int n) {
    ClusterOptions o;
    for (int i = 1; i <= n; ++i) {
      absl::StrAppend(&o.nodes, i > 1 ? "," : "", i, "@127.0.0.1:", 7000 + i);
    }
    o.client_id = "tester";
    o.failure_threshold = 2;
    o.tag_validity_ms = 10000;
    o.op_timeout_ms = 50;
    o.load_refresh_ms = 1000;
    o.retries = 1;
    return o;
  }

 protected:
  void Open(const ClusterOptions& options, bool background = false,
            bool fake_clock = true) {
    absl::StatusOr<ClusterConfig> config = ValidateCluster(options);
    ASSERT_TRUE(config.ok()) << config.status();
    for (const NodeAddress& a : config->nodes) {
      nodes_[a.id] = std::make_shared<FakeNode>(a.id);
    }
    auto audit = std::make_unique<FakeAuditLog>();
    audit_ = audit.get();
    absl::StatusOr<std::unique_ptr<Cluster>> c = Cluster::Open(
        *config,
        [this](const NodeAddress& a) {
          return std::make_unique<FakeTransport>(nodes_.at(a.id));
        },
        std::move(audit),
        ClusterEnv{fake_clock ? &clock_ : nullptr, background});
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = *std::move(c);
  }

  FakeNode& node(uint32_t id) { return *nodes_.at(id); }

  NodeInfo Info(uint32_t id) {
    for (const NodeInfo& info : cluster_->Nodes()) {
      if (info.id == id) return info;
    }
    ADD_FAILURE() << "no node " << id;
    return NodeInfo{};
  }

  // Heartbeat rounds until node `id` is tagged (bounded).
  void TagByHeartbeats(uint32_t id) {
    for (int i = 0; i < 10 && Info(id).state != NodeInfo::State::kTagged; ++i) {
      cluster_->HeartbeatOnce();
    }
    ASSERT_EQ(Info(id).state, NodeInfo::State::kTagged) << "node " << id;
  }

  // The node that holds `key` (0: none, or several).
  uint32_t Holder(const std::string& key) {
    uint32_t holder = 0;
    for (const auto& [id, n] : nodes_) {
      if (!n->Has(key)) continue;
      if (holder != 0) return 0;
      holder = id;
    }
    return holder;
  }

  // Runs `op` and returns the node that received its request (0: none, or
  // several).
  template <typename Op>
  uint32_t Target(Op op) {
    std::map<uint32_t, size_t> before;
    for (const auto& [id, n] : nodes_) before[id] = n->Ops();
    op();
    uint32_t at = 0;
    for (const auto& [id, n] : nodes_) {
      if (n->Ops() == before[id]) continue;
      if (at != 0) return 0;
      at = id;
    }
    return at;
  }

  FakeClock clock_;
  std::map<uint32_t, std::shared_ptr<FakeNode>> nodes_;
  FakeAuditLog* audit_ = nullptr;  // owned by cluster_
  std::unique_ptr<Cluster> cluster_;
};

}  // namespace cairn::cluster::testing

#endif  // CAIRN_TESTS_CLUSTER_CLUSTER_FIXTURE_H_
