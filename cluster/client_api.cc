#include "cluster/client_api.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cluster/client_wire.h"
#include "cluster/node_client.h"
#include "nlohmann/json.hpp"

namespace cairn::cluster {

absl::StatusOr<std::unique_ptr<Cluster>> OpenCluster(
    const ClusterOptions& options) {
  absl::StatusOr<ClusterConfig> config = ValidateCluster(options);
  if (!config.ok()) return config.status();
  std::unique_ptr<AuditLog> audit;
  if (!config->audit_path.empty()) {
    absl::StatusOr<std::unique_ptr<AuditLog>> opened =
        AuditLog::Open(config->audit_path, config->audit);
    if (!opened.ok()) return opened.status();
    audit = std::move(*opened);
  }
  NodeClientOptions client;
  client.cluster_id = config->cluster_id;
  client.secret = config->secret;
  // A connect never waits longer than the operation it serves.
  client.connect_timeout = std::min(client.connect_timeout, config->op_timeout);
  TransportFactory factory = NodeClientFactory(std::move(client));
  return Cluster::Open(std::move(*config), std::move(factory),
                       std::move(audit));
}

std::string ClusterStatsJson(const ClusterStats& s) {
  nlohmann::ordered_json j;
  j["requests"] = s.requests;
  j["faults"] = s.faults;
  j["retries"] = s.retries;
  j["refusals"] = s.refusals;
  j["heartbeats"] = s.heartbeats;
  j["reports_sent"] = s.reports_sent;
  j["reports_failed"] = s.reports_failed;
  j["reports_dropped"] = s.reports_dropped;
  j["audit_records"] = s.audit_records;
  j["audit_failures"] = s.audit_failures;
  return j.dump();
}

absl::StatusOr<std::string> QueryAuditJsonLines(Cluster* cluster,
                                                std::string_view method,
                                                int64_t since_us,
                                                int64_t until_us,
                                                uint32_t limit) {
  AuditLog* log = cluster->audit_log();
  if (log == nullptr) {
    return absl::InvalidArgumentError(
        "this cluster client keeps no audit log (set audit.path)");
  }
  if (!method.empty()) {
    absl::StatusOr<Method> m = ParseMethod(method);
    if (!m.ok()) return m.status();
  }
  if (limit == 0) {
    return absl::InvalidArgumentError("audit query: limit 0 (at least 1)");
  }
  const absl::Time since = absl::FromUnixMicros(since_us);
  const absl::Time until =
      until_us == 0 ? absl::InfiniteFuture() : absl::FromUnixMicros(until_us);
  absl::StatusOr<std::vector<AuditRecord>> records =
      log->Query(std::string(method), since, until, limit);
  if (!records.ok()) return records.status();
  std::string out;
  for (const AuditRecord& r : *records) {
    absl::StrAppend(&out, AuditRecordJson(r), "\n");
  }
  return out;
}

}  // namespace cairn::cluster
