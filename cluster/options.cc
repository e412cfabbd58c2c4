#include "cluster/options.h"

#include <unistd.h>

#include <climits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/strings.h"
#include "nlohmann/json.hpp"
#include "replication/options.h"

namespace cairn::cluster {
namespace {

using C = ClusterOptions;

const ClusterOptionSpec kClusterOptions[] = {
    {"cluster.nodes", OptionType::kString, &C::nodes, "",
     "The serving nodes, comma-separated, each id@host:port (the node's "
     "replication listener). Ids unique, at most 256 nodes; at least one.",
     0, 1 << 16},
    {"cluster.id", OptionType::kString, &C::id, "cairn",
     "Cluster name sent at the handshake; a node of another cluster refuses "
     "the client.",
     0, 255},
    {"cluster.secret_file", OptionType::kString, &C::secret_file, "",
     "File holding the cluster's shared secret (mode 0600 or stricter, at "
     "least 16 bytes), as replication.secret_file on the nodes.",
     0, 4096},
    {"cluster.client_id", OptionType::kString, &C::client_id, "",
     "Who this client is, in every request and audit record (\"\": "
     "<hostname>:<pid>).",
     0, 255},
    {"cluster.mode", OptionType::kEnum, &C::mode, "active",
     "active: every healthy node serves and each request goes to a master "
     "chosen by cluster.master_choice. standby: only the first untagged, "
     "serving node of cluster.standby_order serves.",
     0, 0, "active|standby"},
    {"cluster.master_choice", OptionType::kEnum, &C::master_choice, "load",
     "Active mode: load (SPEC C4 score from W, C and R, recomputed every "
     "cluster.load_refresh_ms), hash (key hash mod the available nodes), "
     "consistent_hash (rendezvous hashing: a lost node's keys move, no "
     "others) or slots (key hash mod cluster.slots, then "
     "cluster.slot_table).",
     0, 0, "load|hash|consistent_hash|slots"},
    {"cluster.slots", OptionType::kUint, &C::slots, "16384",
     "Number of slots for master_choice slots (SPEC B2).", 1, 1 << 20},
    {"cluster.slot_table", OptionType::kString, &C::slot_table, "",
     "Slot -> node id, e.g. 0-8191:1,8192-16383:2 (ranges inclusive, or "
     "single slots). Must cover every slot exactly once and name only "
     "configured nodes. \"\": the slots split evenly over the nodes in "
     "listed order.",
     0, 1 << 20},
    {"cluster.standby_order", OptionType::kString, &C::standby_order, "",
     "Standby mode: node ids in succession order, comma-separated, each "
     "configured node exactly once (\"\": the order of cluster.nodes).",
     0, 1 << 16},
    {"cluster.op_timeout_ms", OptionType::kUint, &C::op_timeout_ms, "1000",
     "Deadline of one request or heartbeat at one node; past it the attempt "
     "counts as failed.",
     1, 3600000},
    {"cluster.failure_threshold", OptionType::kUint, &C::failure_threshold, "3",
     "N of SPEC C3: a node whose failure counter (failed operations and "
     "heartbeats) exceeds N is tagged failed.",
     1, 1000000},
    {"cluster.tag_validity_ms", OptionType::kUint, &C::tag_validity_ms, "5000",
     "How long a failed tag lasts unless a good heartbeat reply removes it "
     "first.",
     1, 86400000},
    {"cluster.heartbeat_interval_ms", OptionType::kUint,
     &C::heartbeat_interval_ms, "500",
     "Interval of status requests to every node, tagged or not; they also "
     "carry W, C and R.",
     10, 600000},
    {"cluster.load_refresh_ms", OptionType::kUint, &C::load_refresh_ms, "1000",
     "How often the load ranking (master_choice load) is recomputed from the "
     "latest heartbeat replies; between refreshes the best-ranked node still "
     "available is master.",
     1, 3600000},
    {"cluster.retries", OptionType::kUint, &C::retries, "1",
     "How many other nodes a request that failed at a node (transport "
     "failure, timeout, fault reply) is retried on, in the choice's order. "
     "Not with master_choice slots (a slot has one node).",
     0, 255},
    {"audit.path", OptionType::kString, &C::audit_path, "",
     "Directory of the audit log's own LevelDB (never the data database); "
     "\"\": no audit log.",
     0, 4096},
    {"audit.key_bytes", OptionType::kUint, &C::audit_key_bytes, "64",
     "Keys in audit records are truncated to this many bytes.", 0, 65536},
    {"audit.retention_hours", OptionType::kUint, &C::audit_retention_hours,
     "168", "Audit records older than this are dropped.", 1, 87600},
    {"audit.retention_mb", OptionType::kUint, &C::audit_retention_mb, "256",
     "The oldest audit records are dropped past this many MiB.", 1, 1 << 20},
    {"audit.sync", OptionType::kBool, &C::audit_sync, "false",
     "Write and sync every audit record to disk before its call returns "
     "(a machine crash then loses none). Overrides audit.flush_ms.",
     0, 0},
    {"audit.flush_ms", OptionType::kUint, &C::audit_flush_ms, "2",
     "Audit records wait in memory at most this long, then a writer thread "
     "puts them into the log in one batch (off the call's path). A killed "
     "client loses at most the records of its last audit.flush_ms; 0 "
     "writes each record before its call returns.",
     0, 10000},
};

absl::Status Bad(std::string_view option, std::string_view value,
                 std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "option ", AV(option), ": ", AV(why), " ('", AV(value), "')"));
}

std::string DefaultClientId() {
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    return absl::StrCat("localhost:", ::getpid());
  }
  return absl::StrCat(host, ":", ::getpid()).substr(0, 255);
}

// Every integer option within its table range: a ClusterOptions filled in
// directly is held to what SetClusterOption enforces.
absl::Status CheckRanges(const ClusterOptions& o) {
  for (const ClusterOptionSpec& spec : kClusterOptions) {
    if (spec.type != OptionType::kUint) continue;
    const uint64_t v = o.*std::get<uint64_t C::*>(spec.field);
    if (v < spec.min || v > spec.max) {
      return Bad(spec.name, absl::StrCat(v),
                 absl::StrCat("expected an integer in [", spec.min, ", ",
                              spec.max, "]"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<NodeAddress>> ParseNodes(const std::string& text) {
  std::vector<NodeAddress> nodes;
  absl::flat_hash_set<uint32_t> ids;
  for (absl::string_view item :
       absl::StrSplit(AV(text), ',', absl::SkipWhitespace())) {
    absl::StatusOr<replication::PeerAddress> peer =
        replication::ParsePeer(SV(item));
    if (!peer.ok()) {
      return Bad("cluster.nodes", text, SV(peer.status().message()));
    }
    if (!ids.insert(peer->id).second) {
      return Bad("cluster.nodes", text,
                 absl::StrCat("node id ", peer->id, " appears twice"));
    }
    nodes.push_back(NodeAddress{peer->id, peer->host, peer->port});
  }
  if (nodes.empty()) {
    return Bad("cluster.nodes", text, "no node given (id@host:port,...)");
  }
  if (nodes.size() > kMaxClusterNodes) {
    return Bad("cluster.nodes", absl::StrCat(nodes.size(), " nodes"),
               absl::StrCat("at most ", kMaxClusterNodes, " nodes"));
  }
  return nodes;
}

bool ParseId(absl::string_view text, uint32_t* id) {
  text = absl::StripAsciiWhitespace(text);
  return !text.empty() &&
         text.find_first_not_of("0123456789") == absl::string_view::npos &&
         absl::SimpleAtoi(text, id);
}

bool IsConfigured(absl::Span<const NodeAddress> nodes, uint32_t id) {
  for (const NodeAddress& n : nodes) {
    if (n.id == id) return true;
  }
  return false;
}

absl::StatusOr<std::vector<uint32_t>> ParseStandbyOrder(
    const std::string& text, absl::Span<const NodeAddress> nodes) {
  std::vector<uint32_t> order;
  if (absl::StripAsciiWhitespace(AV(text)).empty()) {
    for (const NodeAddress& n : nodes) order.push_back(n.id);
    return order;
  }
  absl::flat_hash_set<uint32_t> seen;
  for (absl::string_view item : absl::StrSplit(AV(text), ',')) {
    uint32_t id = 0;
    if (!ParseId(item, &id)) {
      return Bad("cluster.standby_order", text,
                 absl::StrCat("'", item, "' is not a node id"));
    }
    if (!IsConfigured(nodes, id)) {
      return Bad("cluster.standby_order", text,
                 absl::StrCat("node ", id, " is not in cluster.nodes"));
    }
    if (!seen.insert(id).second) {
      return Bad("cluster.standby_order", text,
                 absl::StrCat("node ", id, " appears twice"));
    }
    order.push_back(id);
  }
  for (const NodeAddress& n : nodes) {
    if (!seen.contains(n.id)) {
      return Bad("cluster.standby_order", text,
                 absl::StrCat("node ", n.id,
                              " is missing (every configured node must be "
                              "in the order once)"));
    }
  }
  return order;
}

}  // namespace

std::string_view ClusterModeName(ClusterMode mode) {
  return mode == ClusterMode::kStandby ? "standby" : "active";
}

std::string_view MasterChoiceName(MasterChoice choice) {
  switch (choice) {
    case MasterChoice::kLoad:
      return "load";
    case MasterChoice::kHash:
      return "hash";
    case MasterChoice::kConsistentHash:
      return "consistent_hash";
    case MasterChoice::kSlots:
      return "slots";
  }
  return "unknown";
}

std::vector<uint32_t> EvenSlotTable(uint32_t slots,
                                    absl::Span<const NodeAddress> nodes) {
  std::vector<uint32_t> owner(slots, 0);
  if (nodes.empty()) return owner;
  const uint32_t n = static_cast<uint32_t>(nodes.size());
  const uint32_t base = slots / n;
  const uint32_t extra = slots % n;
  uint32_t slot = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t len = base + (i < extra ? 1 : 0);
    for (uint32_t k = 0; k < len; ++k) owner[slot++] = nodes[i].id;
  }
  return owner;
}

absl::StatusOr<std::vector<uint32_t>> ParseSlotTable(
    std::string_view text, uint32_t slots,
    absl::Span<const NodeAddress> nodes) {
  constexpr std::string_view kOption = "cluster.slot_table";
  // 0 marks "not yet covered" (node ids are >= 1).
  std::vector<uint32_t> owner(slots, 0);
  for (absl::string_view item :
       absl::StrSplit(AV(text), ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    const size_t colon = item.rfind(':');
    if (colon == absl::string_view::npos) {
      return Bad(kOption, text,
                 absl::StrCat("'", item,
                              "': expected first-last:node or "
                              "slot:node"));
    }
    uint32_t id = 0;
    if (!ParseId(item.substr(colon + 1), &id)) {
      return Bad(kOption, text,
                 absl::StrCat("'", item, "': the node id is not a number"));
    }
    if (!IsConfigured(nodes, id)) {
      return Bad(
          kOption, text,
          absl::StrCat("'", item, "': node ", id, " is not in cluster.nodes"));
    }
    absl::string_view range = item.substr(0, colon);
    uint32_t first = 0;
    uint32_t last = 0;
    const size_t dash = range.find('-');
    bool ok = false;
    if (dash == absl::string_view::npos) {
      ok = ParseId(range, &first);
      last = first;
    } else {
      ok = ParseId(range.substr(0, dash), &first) &&
           ParseId(range.substr(dash + 1), &last);
    }
    if (!ok) {
      return Bad(kOption, text, absl::StrCat("'", item, "': bad slot range"));
    }
    if (first > last) {
      return Bad(kOption, text,
                 absl::StrCat("'", item, "': the range is reversed"));
    }
    if (last >= slots) {
      return Bad(kOption, text,
                 absl::StrCat("'", item, "': slot ", last,
                              " is out of range (cluster.slots is ", slots,
                              ": slots 0-", slots - 1, ")"));
    }
    for (uint32_t s = first; s <= last; ++s) {
      if (owner[s] != 0) {
        return Bad(kOption, text,
                   absl::StrCat("slot ", s, " is given twice (node ", owner[s],
                                " and node ", id, ")"));
      }
      owner[s] = id;
    }
  }
  for (uint32_t s = 0; s < slots; ++s) {
    if (owner[s] != 0) continue;
    uint32_t end = s;
    while (end + 1 < slots && owner[end + 1] == 0) ++end;
    return Bad(kOption, text,
               end == s ? absl::StrCat("slot ", s, " has no node")
                        : absl::StrCat("slots ", s, "-", end, " have no node"));
  }
  return owner;
}

absl::StatusOr<ClusterConfig> ValidateCluster(const ClusterOptions& o) {
  if (absl::Status s = CheckRanges(o); !s.ok()) return s;
  ClusterConfig c;
  absl::StatusOr<std::vector<NodeAddress>> nodes = ParseNodes(o.nodes);
  if (!nodes.ok()) return nodes.status();
  c.nodes = *std::move(nodes);

  if (o.id.empty() || o.id.size() > 255) {
    return Bad("cluster.id", o.id, "expected 1 to 255 bytes");
  }
  c.cluster_id = o.id;
  if (!o.secret_file.empty()) {
    absl::StatusOr<std::string> secret =
        replication::ReadSecretFile("cluster.secret_file", o.secret_file);
    if (!secret.ok()) return secret.status();
    c.secret = *std::move(secret);
  }
  if (o.client_id.size() > 255) {
    return Bad("cluster.client_id", o.client_id.substr(0, 32) + "...",
               "at most 255 bytes");
  }
  c.client_id = o.client_id.empty() ? DefaultClientId() : o.client_id;

  if (o.mode == "active") {
    c.mode = ClusterMode::kActive;
  } else if (o.mode == "standby") {
    c.mode = ClusterMode::kStandby;
  } else {
    return Bad("cluster.mode", o.mode, "expected active or standby");
  }
  if (o.master_choice == "load") {
    c.choice = MasterChoice::kLoad;
  } else if (o.master_choice == "hash") {
    c.choice = MasterChoice::kHash;
  } else if (o.master_choice == "consistent_hash") {
    c.choice = MasterChoice::kConsistentHash;
  } else if (o.master_choice == "slots") {
    c.choice = MasterChoice::kSlots;
  } else {
    return Bad("cluster.master_choice", o.master_choice,
               "expected load, hash, consistent_hash or slots");
  }

  c.slots = static_cast<uint32_t>(o.slots);
  if (!absl::StripAsciiWhitespace(AV(o.slot_table)).empty()) {
    absl::StatusOr<std::vector<uint32_t>> table =
        ParseSlotTable(o.slot_table, c.slots, c.nodes);
    if (!table.ok()) return table.status();
    c.slot_owner = *std::move(table);
  } else if (c.choice == MasterChoice::kSlots) {
    c.slot_owner = EvenSlotTable(c.slots, c.nodes);
  }

  absl::StatusOr<std::vector<uint32_t>> order =
      ParseStandbyOrder(o.standby_order, c.nodes);
  if (!order.ok()) return order.status();
  c.standby_order = *std::move(order);

  c.op_timeout = absl::Milliseconds(o.op_timeout_ms);
  c.failure_threshold = o.failure_threshold;
  c.tag_validity = absl::Milliseconds(o.tag_validity_ms);
  c.heartbeat_interval = absl::Milliseconds(o.heartbeat_interval_ms);
  c.load_refresh = absl::Milliseconds(o.load_refresh_ms);
  c.retries = static_cast<uint32_t>(o.retries);

  c.audit_path = o.audit_path;
  c.audit.key_bytes = o.audit_key_bytes;
  c.audit.retention_age = absl::Hours(o.audit_retention_hours);
  c.audit.retention_bytes = o.audit_retention_mb << 20;
  c.audit.sync = o.audit_sync;
  c.audit.flush_interval = absl::Milliseconds(o.audit_flush_ms);
  return c;
}

absl::Span<const ClusterOptionSpec> ClusterOptionTable() {
  return kClusterOptions;
}

bool IsClusterOptionName(std::string_view name) {
  return absl::StartsWith(AV(name), "cluster.") ||
         absl::StartsWith(AV(name), "audit.");
}

absl::Status SetClusterOption(ClusterOptions* options, std::string_view name,
                              std::string_view value) {
  return SetOptionIn(ClusterOptionTable(), options, name, value);
}

absl::StatusOr<std::string> GetClusterOption(const ClusterOptions& options,
                                             std::string_view name) {
  return GetOptionIn(ClusterOptionTable(), options, name);
}

std::string ClusterOptionsToJson(const ClusterOptions& options) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  OptionsToJsonIn(ClusterOptionTable(), options, &j);
  return j.dump();
}

std::string ClusterOptionsMarkdown() {
  return MarkdownTableIn(ClusterOptionTable());
}

}  // namespace cairn::cluster
