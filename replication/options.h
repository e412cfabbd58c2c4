// Replication options: the replication layer's own table of named options.
//
// cairn_options_set dispatches by name: "replication.*" to this table, every
// other name to the engine's (engine/options.h). Both tables are driven by
// the same machinery (engine/option_table.h), so names, defaults, ranges and
// documentation come from one place and "cairn.options" lists both.
//
// This version replicates nothing yet: the table is the seam the
// replication layer (peers, modes, retention) fills in; a "replication."
// name is refused as unknown until then.
//
// Plain structs: copy freely; not shared.
#ifndef CAIRN_REPLICATION_OPTIONS_H_
#define CAIRN_REPLICATION_OPTIONS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/option_table.h"
#include "engine/options.h"

namespace cairn::replication {

struct ReplicationOptions {};

using ReplicationOptionSpec = OptionSpecFor<ReplicationOptions>;

// Every replication option, in documentation order.
absl::Span<const ReplicationOptionSpec> ReplicationOptionTable();

// A node's options: the engine's and the replication layer's.
struct NodeOptions {
  Options engine;
  ReplicationOptions replication;
};

// The name prefix that routes an option to the replication table.
inline constexpr std::string_view kReplicationPrefix = "replication.";

// Sets `name` in the layer that owns it; InvalidArgument naming the option
// and value otherwise (*options unchanged).
[[nodiscard]] absl::Status SetNodeOption(NodeOptions* options,
                                         std::string_view name,
                                         std::string_view value);
[[nodiscard]] absl::StatusOr<std::string> GetNodeOption(
    const NodeOptions& options, std::string_view name);
// Every option of both layers as one JSON object (the "cairn.options"
// property).
std::string NodeOptionsToJson(const NodeOptions& options);

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_OPTIONS_H_
