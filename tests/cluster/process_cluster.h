// Helpers for the multi-process cluster tests (issue 13): `cairn serve`
// nodes started by the replication tests' harness (cluster_harness.h), a
// fault proxy in front of every node's client port, and the routing client
// (OpenCluster) talking to the nodes through those proxies.
//
// The proxies give each node one client address for the whole test: a
// restarted node binds a new port, and Point() aims its proxy there, so the
// client's cluster.nodes never changes (and a test can delay or cut one
// node's client link).
//
// Every wait is bounded (WaitUntil); nothing sleeps to synchronise.
#ifndef CAIRN_TESTS_CLUSTER_PROCESS_CLUSTER_H_
#define CAIRN_TESTS_CLUSTER_PROCESS_CLUSTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/audit_log.h"
#include "cluster/client_wire.h"
#include "cluster/cluster.h"
#include "tests/replication/cluster_harness.h"
#include "tests/support/fault_proxy.h"

namespace cairn::cluster::testing {

using Harness = ::cairn::testing::Cluster;
using HarnessOptions = ::cairn::testing::ClusterOptions;
using OptionList = std::vector<std::pair<std::string, std::string>>;

// Polls `done` every 5 ms until it holds (true) or `timeout` passes (false).
bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout);

// One FaultProxy per node in front of its client (= replication) port.
class ClientFront {
 public:
  explicit ClientFront(int nodes);

  // Aims node i's proxy at its current port (after every Start).
  void Point(const Harness& harness, int i);
  // Starts node i and points its proxy.
  ::testing::AssertionResult Start(Harness& harness, int i);
  ::cairn::testing::FaultProxy& proxy(int i) { return *proxies_.at(i); }
  // "1@127.0.0.1:P1,2@127.0.0.1:P2,...": node i is id i + 1.
  std::string Nodes() const;

 private:
  std::vector<std::unique_ptr<::cairn::testing::FaultProxy>> proxies_;
};

// OpenCluster from named options; fails the test (and returns null) when
// an option or the open fails.
std::unique_ptr<Cluster> OpenClient(const OptionList& options);

// A status request straight to node `id` on `port` (no routing).
absl::StatusOr<NodeStatus> StatusOf(uint32_t id, uint16_t port,
                                    absl::Duration timeout = absl::Seconds(2));

// The key of an audit record's params (key="..."), unescaped only as far
// as the tests' plain keys need: "" when there is none.
std::string AuditKey(const AuditRecord& record);

// Key -> the node that served it, from the audit log's `method` records
// since `since` (the latest record of a key wins).
std::map<std::string, uint32_t> ServedBy(AuditLog* log,
                                         const std::string& method,
                                         absl::Time since);

// The keys node i holds under `prefix` (its `keys` control command); fails
// the test on an error reply.
std::set<std::string> KeysOn(Harness& harness, int i,
                             const std::string& prefix);

// name=value options of a node in standby mode with etcd at `etcd`.
std::vector<std::string> StandbyNodeOptions(const std::string& etcd,
                                            int lease_ttl_ms);

// Fast replication failure detection between the nodes (heartbeats every
// 100 ms, tagged after 2 failures).
std::vector<std::string> FastPeerDetection();

}  // namespace cairn::cluster::testing

#endif  // CAIRN_TESTS_CLUSTER_PROCESS_CLUSTER_H_
