// Replication options: the replication layer's own table of named options.
//
// cairn_options_set dispatches by name: "replication.*" to this table, every
// other name to the engine's (engine/options.h). Both tables are driven by
// the same machinery (engine/option_table.h), so names, defaults, ranges and
// documentation come from one place and "cairn.options" lists both.
//
// Replication is off until replication.node_id is set: a plain embedded
// database opens no socket. Values that need more than a type check (peer
// lists, addresses, the secret file) are checked by ValidateReplication at
// open, with a message naming the culprit.
//
// Plain structs: copy freely; not shared.
#ifndef CAIRN_REPLICATION_OPTIONS_H_
#define CAIRN_REPLICATION_OPTIONS_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/option_table.h"
#include "engine/options.h"

namespace cairn::replication {

class Connection;
struct Hello;

struct ReplicationOptions {
  uint64_t node_id = 0;
  std::string cluster_id = "cairn";
  std::string listen = "127.0.0.1:0";
  std::string peers;
  std::string secret_file;
  std::string mode = "async";
  std::string sync_acks = "1";
  std::string sync_durability = "match";
  uint64_t sync_timeout_ms = 1000;
  uint64_t batch_max_ops = 1024;
  uint64_t batch_max_bytes = 1 << 20;
  uint64_t inflight_max_batches = 16;
  bool coalesce = true;
  uint64_t max_send_delay_us = 200;
  uint64_t inflight_max_bytes = 16 << 20;
  uint64_t send_cache_mb = 32;
  uint64_t log_retention_mb = 1024;
  std::string failed_task_policy = "store";
  uint64_t heartbeat_ms = 500;
  uint64_t failure_threshold = 3;
  uint64_t tag_validity_ms = 5000;
  uint64_t connect_timeout_ms = 2000;
  uint64_t reconnect_max_ms = 2000;
  uint64_t max_frame_mb = 72;
  uint64_t max_connections = 64;
  uint64_t resync_rate_mb = 64;
  uint64_t digest_interval_ms = 10000;
  uint64_t digest_buckets = 1024;
  uint64_t digest_horizon_ms = 5000;
  uint64_t tombstone_grace_ms = 86400000;
};

// sync_acks values besides a plain count (0 means "the option's value" in a
// per-write override).
inline constexpr uint32_t kSyncAcksDefault = 0;
inline constexpr uint32_t kSyncAcksMajority = 0xFFFFFFFEu;
inline constexpr uint32_t kSyncAcksAll = 0xFFFFFFFFu;

// A peer from replication.peers or cairn_peer_add: "id@host:port".
struct PeerAddress {
  uint32_t id = 0;
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;
};

// What ValidateReplication derived from the options.
struct ReplicationConfig {
  bool enabled = false;
  std::string listen_host;
  uint16_t listen_port = 0;
  std::vector<PeerAddress> peers;
  std::string secret;        // the secret file's contents, trimmed
  bool sync_mode = false;    // mode == "sync"
  uint32_t sync_acks = 1;    // kSyncAcks* from node.h or a count
  bool sync_fsync_always = false;  // sync_durability == "fsync"
  uint32_t retry_limit = 0;  // failed_task_policy retry:N (0: store)
  bool discard_failed = false;
  // Serves a client connection (Role::kClient) once its handshake is done,
  // on the receiver's session thread; null refuses clients at the
  // handshake. Set by Node::Open from its client handler (issue 13).
  std::function<void(Connection*, const Hello&)> serve_client;
};

// "id@host:port" -> PeerAddress; InvalidArgument naming the text.
[[nodiscard]] absl::StatusOr<PeerAddress> ParsePeer(std::string_view text);
// "host:port" (host an IPv4/IPv6 literal or "localhost").
[[nodiscard]] absl::Status ParseHostPort(std::string_view text,
                                         std::string* host, uint16_t* port);
// The shared secret in `path`: a regular file, mode 0600 or stricter, at
// least 16 bytes once surrounding whitespace is trimmed. InvalidArgument
// naming `option` and the path otherwise (also used for cluster.secret_file).
[[nodiscard]] absl::StatusOr<std::string> ReadSecretFile(
    std::string_view option, const std::string& path);
// Checks everything a type check cannot: peer ids unique and not our own,
// addresses parsable, the secret file private (mode 0600 or stricter) and
// non-empty, a non-loopback listen address only with a secret (S1).
[[nodiscard]] absl::StatusOr<ReplicationConfig> ValidateReplication(
    const ReplicationOptions& options);

using ReplicationOptionSpec = OptionSpecFor<ReplicationOptions>;

// Every replication option, in documentation order.
absl::Span<const ReplicationOptionSpec> ReplicationOptionTable();

// The node's own options ("node.*"): how it serves cluster clients on its
// replication listener (issue 13; the serving code is cluster/'s).
struct ServeOptions {
  bool serve_clients = true;
  uint64_t capacity = 100;
  uint64_t max_scan_entries = 1000;
  uint64_t client_idle_ms = 30000;
  std::string mode = "active";  // node.mode: active | standby
  std::string standby_order;    // node.standby_order: ids, "" = ascending
};

using ServeOptionSpec = OptionSpecFor<ServeOptions>;

// Every node.* option, in documentation order.
absl::Span<const ServeOptionSpec> ServeOptionTable();

// A node's options: the engine's, the replication layer's and the node's
// own (serving clients).
struct NodeOptions {
  Options engine;
  ReplicationOptions replication;
  ServeOptions serve;
};

// The name prefixes that route an option to the replication and node
// tables.
inline constexpr std::string_view kReplicationPrefix = "replication.";
inline constexpr std::string_view kServePrefix = "node.";

// Sets `name` in the layer that owns it; InvalidArgument naming the option
// and value otherwise (*options unchanged).
[[nodiscard]] absl::Status SetNodeOption(NodeOptions* options,
                                         std::string_view name,
                                         std::string_view value);
[[nodiscard]] absl::StatusOr<std::string> GetNodeOption(
    const NodeOptions& options, std::string_view name);
// Every option of the three tables as one JSON object (the "cairn.options"
// property).
std::string NodeOptionsToJson(const NodeOptions& options);

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_OPTIONS_H_
