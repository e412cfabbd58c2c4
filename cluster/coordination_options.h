// Coordination options: the "coordination.*" table of named options that
// decide how a standby-mode node makes sure it is the only master.
//
// With coordination.etcd set, the master holds a leader key under an etcd
// lease (leader_lease.h); without it, a node serves only while it sees a
// majority of the standby sequence (standby_role.h). The table follows
// replication/options.h: one static table of names, types, defaults, ranges
// and docs drives setting by name, JSON and the README. Values that need more
// than a type check (the etcd address, how the intervals relate) are checked
// by ValidateCoordination, with a message naming the option and the value.
//
// Plain structs: copy freely; not shared.
#ifndef CAIRN_CLUSTER_COORDINATION_OPTIONS_H_
#define CAIRN_CLUSTER_COORDINATION_OPTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/option_table.h"

namespace cairn::cluster {

struct CoordinationOptions {
  std::string etcd;                  // "host:port" or "" (no etcd)
  uint64_t lease_ttl_ms = 3000;      // leader lease TTL
  uint64_t renew_interval_ms = 0;    // 0: lease_ttl_ms / 3
  uint64_t clock_margin_ms = 200;    // subtracted from the local deadline
  uint64_t request_timeout_ms = 500; // every etcd call, connect to reply
  uint64_t refresh_ms = 100;         // standby view refresh without etcd
};

// What ValidateCoordination derived from the options.
struct CoordinationConfig {
  bool use_etcd = false;
  std::string etcd_host;  // an IP literal or "localhost"
  uint16_t etcd_port = 0;
  absl::Duration lease_ttl;
  absl::Duration renew_interval;  // resolved: never 0
  absl::Duration clock_margin;
  absl::Duration request_timeout;
  absl::Duration refresh;
};

// The name prefix that routes an option to this table.
inline constexpr std::string_view kCoordinationPrefix = "coordination.";

using CoordinationOptionSpec = OptionSpecFor<CoordinationOptions>;

// Every coordination option, in documentation order.
absl::Span<const CoordinationOptionSpec> CoordinationOptionTable();

// Sets or reads one option by name (InvalidArgument naming the option and
// the value; *options unchanged on error).
[[nodiscard]] absl::Status SetCoordinationOption(CoordinationOptions* options,
                                                 std::string_view name,
                                                 std::string_view value);
[[nodiscard]] absl::StatusOr<std::string> GetCoordinationOption(
    const CoordinationOptions& options, std::string_view name);

// Checks what a type check cannot: the etcd address parses as host:port
// (an IP literal or localhost, port 1..65535), the renewal interval and the
// margin leave the lease time to be renewed (renew_interval + clock_margin <
// lease_ttl), and an etcd call fits in a renewal interval.
[[nodiscard]] absl::StatusOr<CoordinationConfig> ValidateCoordination(
    const CoordinationOptions& options);

// The etcd key a cluster's standby master holds: "/cairn/<cluster_id>/leader".
std::string LeaderKey(std::string_view cluster_id);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_COORDINATION_OPTIONS_H_
