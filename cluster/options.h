// Cluster client options: the `cluster.*` and `audit.*` table of a routing
// cluster client (SPEC C2-C4, B2, R1-R6), and ValidateCluster, which turns
// the named options into the ClusterConfig a Cluster (cluster.h) opens with.
//
// The table is driven by engine/option_table.h like the engine's and
// replication's: one entry per option names its type, default, range and
// doc, so SetClusterOption, GetClusterOption, the JSON rendering and the
// README's Markdown rows (ClusterOptionsMarkdown, cairn_cluster_options_doc)
// all come from it. A type check happens at Set time; everything a type
// check cannot see (the node list, the slot table, the standby order, the
// secret file) is checked by ValidateCluster, whose messages name the option
// and the offending value. ValidateCluster also re-checks every integer
// against its range, so a ClusterOptions filled in directly is held to the
// same rules as one set by name.
//
// Plain structs: copy freely; not shared.
#ifndef CAIRN_CLUSTER_OPTIONS_H_
#define CAIRN_CLUSTER_OPTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cluster/audit_log.h"
#include "cluster/transport.h"
#include "engine/option_table.h"

namespace cairn::cluster {

// Every field is documented in the table (options.cc); defaults here match
// the table's (a test checks).
struct ClusterOptions {
  std::string nodes;
  std::string id = "cairn";
  std::string secret_file;
  std::string client_id;
  std::string mode = "active";
  std::string master_choice = "load";
  uint64_t slots = 16384;
  std::string slot_table;
  std::string standby_order;
  uint64_t op_timeout_ms = 1000;
  uint64_t failure_threshold = 3;
  uint64_t tag_validity_ms = 5000;
  uint64_t heartbeat_interval_ms = 500;
  uint64_t load_refresh_ms = 1000;
  uint64_t retries = 1;
  std::string audit_path;
  uint64_t audit_key_bytes = 64;
  uint64_t audit_retention_hours = 168;
  uint64_t audit_retention_mb = 256;
  bool audit_sync = false;
  uint64_t audit_flush_ms = 2;
};

enum class ClusterMode { kActive, kStandby };
enum class MasterChoice { kLoad, kHash, kConsistentHash, kSlots };

std::string_view ClusterModeName(ClusterMode mode);
std::string_view MasterChoiceName(MasterChoice choice);

// Largest number of nodes in cluster.nodes.
inline constexpr size_t kMaxClusterNodes = 256;

// What ValidateCluster derived from ClusterOptions.
struct ClusterConfig {
  std::vector<NodeAddress> nodes;  // as listed in cluster.nodes
  std::string cluster_id;          // for the handshake
  std::string secret;              // the secret file's contents ("": none)
  std::string client_id;           // never empty after validation
  ClusterMode mode = ClusterMode::kActive;
  MasterChoice choice = MasterChoice::kLoad;
  // slot -> node id, `slots` entries. Filled whenever a table is given or
  // the choice is kSlots (then an even split in node order by default).
  uint32_t slots = 16384;
  std::vector<uint32_t> slot_owner;
  std::vector<uint32_t> standby_order;  // node ids, every node once
  absl::Duration op_timeout = absl::Seconds(1);
  uint64_t failure_threshold = 3;
  absl::Duration tag_validity = absl::Seconds(5);
  absl::Duration heartbeat_interval = absl::Milliseconds(500);
  absl::Duration load_refresh = absl::Seconds(1);
  uint32_t retries = 1;
  std::string audit_path;  // "": no audit log
  AuditOptions audit;
};

// Checks everything and derives the config; InvalidArgument naming the
// option and the value otherwise.
[[nodiscard]] absl::StatusOr<ClusterConfig> ValidateCluster(
    const ClusterOptions& options);

// "0-8191:1,8192-16383:2" (ranges or single slots, each `:node id`) over
// `slots` slots and the ids of `nodes` -> slot -> node id. Every slot must
// be covered exactly once and every id configured; InvalidArgument naming
// the slot, range or id otherwise.
[[nodiscard]] absl::StatusOr<std::vector<uint32_t>> ParseSlotTable(
    std::string_view text, uint32_t slots, absl::Span<const NodeAddress> nodes);
// The default table: slots split into len(nodes) contiguous ranges as even
// as integer division allows (the first `slots % n` ranges one slot longer),
// in node order.
std::vector<uint32_t> EvenSlotTable(uint32_t slots,
                                    absl::Span<const NodeAddress> nodes);

using ClusterOptionSpec = OptionSpecFor<ClusterOptions>;

// Every cluster and audit option, in documentation order.
absl::Span<const ClusterOptionSpec> ClusterOptionTable();

// Whether `name` belongs to this table's layer ("cluster." or "audit.").
bool IsClusterOptionName(std::string_view name);

// By name; InvalidArgument naming the option and value (*options unchanged).
[[nodiscard]] absl::Status SetClusterOption(ClusterOptions* options,
                                            std::string_view name,
                                            std::string_view value);
[[nodiscard]] absl::StatusOr<std::string> GetClusterOption(
    const ClusterOptions& options, std::string_view name);
// Every option as one JSON object.
std::string ClusterOptionsToJson(const ClusterOptions& options);
// The table's Markdown rows, with a header (for the README).
std::string ClusterOptionsMarkdown();

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_OPTIONS_H_
