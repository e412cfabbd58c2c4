#include "tests/cluster/process_cluster.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "cluster/client_api.h"
#include "cluster/node_client.h"
#include "cluster/options.h"
#include "gtest/gtest.h"

namespace cairn::cluster::testing {

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (done()) return true;
    if (absl::Now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

ClientFront::ClientFront(int nodes) {
  for (int i = 0; i < nodes; ++i) {
    proxies_.push_back(std::make_unique<::cairn::testing::FaultProxy>());
  }
}

void ClientFront::Point(const Harness& harness, int i) {
  proxies_.at(i)->SetTarget(harness.port(i));
}

::testing::AssertionResult ClientFront::Start(Harness& harness, int i) {
  ::testing::AssertionResult r = harness.Start(i);
  if (r) Point(harness, i);
  return r;
}

std::string ClientFront::Nodes() const {
  std::string out;
  for (size_t i = 0; i < proxies_.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", i + 1,
                    "@127.0.0.1:", proxies_[i]->port());
  }
  return out;
}

std::unique_ptr<Cluster> OpenClient(const OptionList& options) {
  ClusterOptions o;
  for (const auto& [name, value] : options) {
    absl::Status s = SetClusterOption(&o, name, value);
    if (!s.ok()) {
      ADD_FAILURE() << s;
      return nullptr;
    }
  }
  absl::StatusOr<std::unique_ptr<Cluster>> c = OpenCluster(o);
  if (!c.ok()) {
    ADD_FAILURE() << c.status();
    return nullptr;
  }
  return *std::move(c);
}

absl::StatusOr<NodeStatus> StatusOf(uint32_t id, uint16_t port,
                                    absl::Duration timeout) {
  NodeClient client(NodeAddress{id, "127.0.0.1", port}, NodeClientOptions{});
  ClientRequest request;
  request.method = Method::kStatus;
  absl::StatusOr<ClientReply> r = client.Call(request, absl::Now() + timeout);
  if (!r.ok()) return r.status();
  if (r->code != 0) {
    return absl::Status(static_cast<absl::StatusCode>(r->code), r->message);
  }
  return r->status;
}

std::string AuditKey(const AuditRecord& record) {
  const std::string& p = record.params;
  size_t start = p.find("key=\"");
  if (start == std::string::npos) return "";
  start += 5;
  size_t end = p.find('"', start);
  if (end == std::string::npos) return "";
  return p.substr(start, end - start);
}

std::map<std::string, uint32_t> ServedBy(AuditLog* log,
                                         const std::string& method,
                                         absl::Time since) {
  std::map<std::string, uint32_t> out;
  absl::StatusOr<std::vector<AuditRecord>> records =
      log->Query(method, since, absl::InfiniteFuture(), 1 << 20);
  if (!records.ok()) {
    ADD_FAILURE() << records.status();
    return out;
  }
  for (const AuditRecord& r : *records) {
    if (r.outcome == "OK") out[AuditKey(r)] = r.node;
  }
  return out;
}

std::set<std::string> KeysOn(Harness& harness, int i,
                             const std::string& prefix) {
  const std::string reply = harness.Command(i, "keys " + prefix);
  if (reply != "ok" && reply.rfind("ok ", 0) != 0) {
    ADD_FAILURE() << "node " << i + 1 << ": keys " << prefix << ": " << reply;
    return {};
  }
  std::vector<std::string> keys = ::cairn::testing::KeysOf(reply);
  return std::set<std::string>(keys.begin(), keys.end());
}

std::vector<std::string> StandbyNodeOptions(const std::string& etcd,
                                            int lease_ttl_ms) {
  std::vector<std::string> o = FastPeerDetection();
  o.push_back("node.mode=standby");
  o.push_back("node.standby_order=1,2,3");
  o.push_back("coordination.etcd=" + etcd);
  o.push_back("coordination.lease_ttl_ms=" + std::to_string(lease_ttl_ms));
  // Renewal every TTL/3; an etcd call must fit in it.
  o.push_back("coordination.request_timeout_ms=" +
              std::to_string(lease_ttl_ms / 4));
  return o;
}

std::vector<std::string> FastPeerDetection() {
  return {"replication.heartbeat_ms=100", "replication.failure_threshold=2",
          "replication.connect_timeout_ms=300",
          "replication.reconnect_max_ms=300"};
}

}  // namespace cairn::cluster::testing
