// The routing cluster client as the C ABI (cairn_cluster_*) and the
// bindings see it: opened from named options, with its counters and audit
// queries rendered as JSON.
#ifndef CAIRN_CLUSTER_CLIENT_API_H_
#define CAIRN_CLUSTER_CLIENT_API_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cluster/cluster.h"
#include "cluster/options.h"

namespace cairn::cluster {

// A Cluster (cluster.h) from its named options: the validated config, one
// NodeClient per node over the authenticated client protocol, and the audit
// log when audit.path is set. InvalidArgument naming the option and value for
// options that do not validate; the audit log's own errors (e.g. Aborted: held
// by another process) for audit.path.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Cluster>> OpenCluster(
    const ClusterOptions& options);

// The counters as one JSON object (keys: the ClusterStats field names).
std::string ClusterStatsJson(const ClusterStats& stats);

// The audit records of `method` ("" for every method; else a MethodName)
// that started in [since_us, until_us) (microseconds since the epoch;
// until_us 0: no upper bound), oldest first, at most `limit` (> 0), as JSON
// lines (AuditRecordJson, each ending in '\n'). InvalidArgument when the
// cluster has no audit log, for an unknown method or a zero limit.
[[nodiscard]] absl::StatusOr<std::string> QueryAuditJsonLines(
    Cluster* cluster, std::string_view method, int64_t since_us,
    int64_t until_us, uint32_t limit);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_CLIENT_API_H_
