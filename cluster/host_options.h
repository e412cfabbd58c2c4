// HostOptions: every option a host sets by name on one cairn_options_t —
// the node's (engine, replication.*, node.*), the standby coordination's
// (coordination.*) and a cluster client's (cluster.*, audit.*) — routed by
// name prefix to the table that owns it. A node uses the first two; a
// cluster client only the last.
//
// Plain struct: copy freely; not shared.
#ifndef CAIRN_CLUSTER_HOST_OPTIONS_H_
#define CAIRN_CLUSTER_HOST_OPTIONS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cluster/coordination_options.h"
#include "cluster/options.h"
#include "replication/options.h"

namespace cairn::cluster {

struct HostOptions {
  replication::NodeOptions node;
  CoordinationOptions coordination;
  ClusterOptions cluster;
};

// By name; InvalidArgument naming the option and value (*options
// unchanged).
[[nodiscard]] absl::Status SetHostOption(HostOptions* options,
                                         std::string_view name,
                                         std::string_view value);
[[nodiscard]] absl::StatusOr<std::string> GetHostOption(
    const HostOptions& options, std::string_view name);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_HOST_OPTIONS_H_
