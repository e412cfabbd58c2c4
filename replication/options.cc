#include "replication/options.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "boost/asio/ip/address.hpp"
#include "engine/strings.h"
#include "nlohmann/json.hpp"

namespace cairn::replication {
namespace {

using R = ReplicationOptions;

const ReplicationOptionSpec kReplicationOptions[] = {
    {"replication.node_id", OptionType::kUint, &R::node_id, "0",
     "This node's id among its peers (1..4294967295; also the node id in "
     "record versions). 0 turns replication off: no socket is opened.",
     0, UINT32_MAX},
    {"replication.cluster_id", OptionType::kString, &R::cluster_id, "cairn",
     "Name of the cluster; a peer with another name is refused at the "
     "handshake.",
     0, 255},
    {"replication.listen", OptionType::kString, &R::listen, "127.0.0.1:0",
     "host:port the node accepts peers on (port 0: ephemeral, see the "
     "cairn.replication property). A non-loopback address is refused unless "
     "replication.secret_file is set.",
     0, 300},
    {"replication.peers", OptionType::kString, &R::peers, "",
     "Comma-separated peers, each id@host:port. Ids must be unique and not "
     "this node's.",
     0, 1 << 16},
    {"replication.secret_file", OptionType::kString, &R::secret_file, "",
     "File holding the shared secret (mode 0600 or stricter). With it every "
     "frame carries an HMAC-SHA256 and peers must prove the secret.",
     0, 4096},
    {"replication.mode", OptionType::kEnum, &R::mode, "async",
     "async: a write returns once committed locally; sync: it returns once "
     "replication.sync_acks peers acknowledged it (see "
     "replication.sync_durability).",
     0, 0, "async|sync"},
    {"replication.sync_acks", OptionType::kString, &R::sync_acks, "1",
     "Acknowledgements a sync write waits for: a count (1..peers), majority "
     "(of the nodes, this one included) or all.",
     0, 16},
    {"replication.sync_durability", OptionType::kEnum, &R::sync_durability,
     "match",
     "What a peer's acknowledgement of a sync-mode write promises. match: "
     "as durable as the write asked for here: a write with the sync flag is "
     "fsynced by the peer before it acknowledges, one without it is in the "
     "peer's log (survives a crash of the peer's process, not of its "
     "machine). fsync: every acknowledgement waits for the peer's fsync.",
     0, 0, "match|fsync"},
    {"replication.sync_timeout_ms", OptionType::kUint, &R::sync_timeout_ms,
     "1000",
     "How long a sync write waits for acknowledgements before returning "
     "CAIRN_TIMEOUT (the write stays durable here and queued for the peers).",
     1, 3600000},
    {"replication.batch_max_ops", OptionType::kUint, &R::batch_max_ops, "1024",
     "Operations per batch sent to a peer (whole write batches are "
     "never split).",
     1, 1 << 20},
    {"replication.batch_max_bytes", OptionType::kUint, &R::batch_max_bytes,
     "1048576",
     "Bytes per batch sent to a peer (a larger write batch goes "
     "alone).",
     1024, 1ull << 30},
    {"replication.send_cache_mb", OptionType::kUint, &R::send_cache_mb, "32",
     "Recent writes kept in memory for the peers' senders: a peer that keeps "
     "up is sent them without reading the database (0: always read it).",
     0, 1 << 16},
    {"replication.inflight_max_batches", OptionType::kUint,
     &R::inflight_max_batches, "16",
     "Batches sent to a peer and not yet acknowledged; the sender waits past "
     "it (back-pressure). While sync writers wait for acknowledgements it "
     "keeps one batch in flight, so what they commit meanwhile goes to the "
     "peer together in the next.",
     1, 4096},
    {"replication.coalesce", OptionType::kBool, &R::coalesce, "true",
     "While a batch is in flight to a peer, fewer operations than a quarter "
     "of replication.batch_max_ops wait for its acknowledgement and leave "
     "with the writes made meanwhile (Nagle's algorithm): one batch per "
     "round trip instead of one per write. More leave at once. false: "
     "every write leaves as soon as the pipeline has room."},
    {"replication.max_send_delay_us", OptionType::kUint,
     &R::max_send_delay_us, "200",
     "While writes keep coming, an asynchronous sender that has sent "
     "everything is woken once a quarter of replication.batch_max_ops has "
     "gathered or after this many microseconds, not by every commit: waking "
     "a thread on another core costs a writer about as much as its own "
     "LevelDB write. The most this adds to a write's replication lag (and "
     "never more than replication.heartbeat_ms); the first write after a "
     "pause and sync writes leave at once. 0: every commit wakes the "
     "sender.",
     0, 10000000},
    {"replication.inflight_max_bytes", OptionType::kUint,
     &R::inflight_max_bytes, "16777216",
     "Bytes sent to a peer and not yet acknowledged (bounds memory).", 1024,
     1ull << 34},
    {"replication.log_retention_mb", OptionType::kUint, &R::log_retention_mb,
     "1024",
     "MiB of op log held for lagging or absent peers; past it the log is "
     "trimmed and such a peer gets a full resync when it returns.",
     1, 1 << 24},
    {"replication.failed_task_policy", OptionType::kString,
     &R::failed_task_policy, "store",
     "What happens to operations a peer cannot take: store (keep them and "
     "replay when it returns), retry:N (give up after N failed attempts; "
     "anti-entropy repairs the peer later) or discard (skip while the peer is "
     "tagged failed).",
     0, 32},
    {"replication.heartbeat_ms", OptionType::kUint, &R::heartbeat_ms, "500",
     "Interval of heartbeats to every peer, tagged failed or not.", 10, 600000},
    {"replication.failure_threshold", OptionType::kUint, &R::failure_threshold,
     "3",
     "Failed operations and heartbeats (one counter per peer) past which a "
     "peer is tagged failed.",
     1, 1000000},
    {"replication.tag_validity_ms", OptionType::kUint, &R::tag_validity_ms,
     "5000",
     "How long a failed tag lasts unless a good heartbeat reply removes it "
     "first.",
     1, 86400000},
    {"replication.connect_timeout_ms", OptionType::kUint,
     &R::connect_timeout_ms, "2000",
     "Deadline for connecting to a peer and for a peer's handshake.", 10,
     600000},
    {"replication.reconnect_max_ms", OptionType::kUint, &R::reconnect_max_ms,
     "2000",
     "Cap of the exponential back-off between reconnects (it starts "
     "at 10 ms).",
     10, 600000},
    {"replication.max_frame_mb", OptionType::kUint, &R::max_frame_mb, "72",
     "Largest frame accepted from an authenticated peer, MiB (must exceed "
     "max_value_size).",
     1, 4095},
    {"replication.max_connections", OptionType::kUint, &R::max_connections,
     "64", "Inbound connections served at once; more are closed at accept.", 1,
     65536},
    {"replication.resync_rate_mb", OptionType::kUint, &R::resync_rate_mb, "64",
     "Throttle of a full resync's snapshot stream, MiB/s.", 1, 1 << 20},
    {"replication.digest_interval_ms", OptionType::kUint,
     &R::digest_interval_ms, "10000",
     "Interval of anti-entropy digest comparisons with each peer (0: only "
     "on demand).",
     0, 86400000},
    {"replication.digest_buckets", OptionType::kUint, &R::digest_buckets,
     "1024", "Key-hash buckets of the anti-entropy digest.", 1, 65536},
    {"replication.digest_horizon_ms", OptionType::kUint,
     &R::digest_horizon_ms, "5000",
     "Periodic digest comparisons leave out records written in the last N "
     "ms (replication is still delivering them; under steady writes "
     "counting them makes busy buckets differ and be pushed on every "
     "comparison). On-demand comparisons cover every record. 0: none is "
     "left out.",
     0, 86400000},
    {"replication.tombstone_grace_ms", OptionType::kUint,
     &R::tombstone_grace_ms, "86400000",
     "Age past which a tombstone that every peer acknowledged may be purged.",
     0, 1ull << 40},
};

using S = ServeOptions;

const ServeOptionSpec kServeOptions[] = {
    {"node.serve_clients", OptionType::kBool, &S::serve_clients, "true",
     "Whether the node serves cluster clients (get, put, delete, batch, "
     "scan, status) on its replication listener. Needs replication on "
     "(replication.node_id set); clients authenticate like peers.",
     0, 0},
    {"node.capacity", OptionType::kUint, &S::capacity, "100",
     "This node's processing capacity W, as reported to cluster clients for "
     "master choice by load (SPEC C4): a relative weight, only its rank "
     "among the nodes matters.",
     1, UINT32_MAX},
    {"node.max_scan_entries", OptionType::kUint, &S::max_scan_entries, "1000",
     "Most entries one client scan returns; a larger scan limit is cut to "
     "it (the reply says it was truncated).",
     1, 1 << 20},
    {"node.client_idle_ms", OptionType::kUint, &S::client_idle_ms, "30000",
     "A client connection without a request for this long is closed.", 100,
     86400000},
    {"node.mode", OptionType::kEnum, &S::mode, "active",
     "active: this node serves every client request. standby: only the "
     "master of the standby sequence serves (node.standby_order); the "
     "others refuse with UNAVAILABLE naming the master they know. With "
     "coordination.etcd set the master is whoever holds the leader lease in "
     "etcd; without it, the first reachable node of the sequence while it "
     "sees a majority (README, \"Standby mode\").",
     0, 0, "active|standby"},
    {"node.standby_order", OptionType::kString, &S::standby_order, "",
     "The standby sequence as node ids, e.g. \"1,2,3\": every node of the "
     "cluster (this one and each replication peer) once. Empty: this node "
     "and its peers in ascending id order. Used with node.mode=standby.",
     0, 4096},
};

bool IsReplicationName(std::string_view name) {
  return absl::StartsWith(AV(name), AV(kReplicationPrefix));
}

absl::Status Bad(std::string_view option, std::string_view value,
                 std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "option ", AV(option), ": ", AV(why), " ('", AV(value), "')"));
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  boost::asio::ip::address a = boost::asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

}  // namespace

std::string PeerAddress::ToString() const {
  return absl::StrCat(id, "@", host, ":", port);
}

absl::Status ParseHostPort(std::string_view text, std::string* host,
                           uint16_t* port) {
  absl::string_view t = AV(text);
  size_t colon = t.rfind(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected host:port, got '", t, "'"));
  }
  absl::string_view h = t.substr(0, colon);
  if (absl::ConsumePrefix(&h, "[") && !absl::ConsumeSuffix(&h, "]")) {
    return absl::InvalidArgumentError(
        absl::StrCat("unbalanced [ in '", t, "'"));
  }
  uint32_t p = 0;
  absl::string_view ptext = t.substr(colon + 1);
  if (ptext.empty() || ptext.size() > 5 ||
      ptext.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(ptext, &p) || p > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in '", t, "'"));
  }
  std::string hs(h);
  if (hs != "localhost") {
    boost::system::error_code ec;
    boost::asio::ip::make_address(hs, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host '", hs, "' in '", t,
          "' is not an IP address (names other than localhost are not "
          "resolved)"));
    }
  }
  *host = hs;
  *port = static_cast<uint16_t>(p);
  return absl::OkStatus();
}

absl::StatusOr<PeerAddress> ParsePeer(std::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(AV(text));
  size_t at = t.find('@');
  if (at == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer '", t, "': expected id@host:port"));
  }
  PeerAddress peer;
  absl::string_view id = t.substr(0, at);
  if (id.empty() ||
      id.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(id, &peer.id) || peer.id == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "peer '", t, "': the id must be an integer in [1, 4294967295]"));
  }
  if (absl::Status s =
          ParseHostPort(SV(t.substr(at + 1)), &peer.host, &peer.port);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer '", t, "': ", s.message()));
  }
  if (peer.port == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("peer '", t, "': port 0 is not a peer's port"));
  }
  return peer;
}

absl::StatusOr<std::string> ReadSecretFile(std::string_view option,
                                           const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Bad(option, path, "cannot stat the file");
  }
  if (!S_ISREG(st.st_mode)) {
    return Bad(option, path, "not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    return Bad(option, path,
               absl::StrCat("permissions too loose (mode ",
                            absl::StrCat(absl::Hex(st.st_mode & 0777)),
                            " in hex); chmod 600 it"));
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return Bad(option, path, "cannot read the file");
  }
  std::string secret(absl::StripAsciiWhitespace(ss.str()));
  if (secret.size() < 16) {
    return Bad(option, path, "the secret must be at least 16 bytes");
  }
  return secret;
}

absl::StatusOr<ReplicationConfig> ValidateReplication(
    const ReplicationOptions& o) {
  ReplicationConfig c;
  c.enabled = o.node_id != 0;
  if (!c.enabled) {
    if (!o.peers.empty()) {
      return Bad("replication.peers", o.peers,
                 "peers need replication.node_id set (it is 0: replication "
                 "is off)");
    }
    return c;
  }
  if (absl::Status s = ParseHostPort(o.listen, &c.listen_host, &c.listen_port);
      !s.ok()) {
    return Bad("replication.listen", o.listen, SV(s.message()));
  }
  absl::flat_hash_set<uint32_t> ids;
  for (absl::string_view item :
       absl::StrSplit(AV(o.peers), ',', absl::SkipWhitespace())) {
    absl::StatusOr<PeerAddress> peer = ParsePeer(SV(item));
    if (!peer.ok()) {
      return Bad("replication.peers", o.peers, SV(peer.status().message()));
    }
    if (peer->id == o.node_id) {
      return Bad("replication.peers", o.peers,
                 absl::StrCat("peer id ", peer->id,
                              " is this node's own replication.node_id"));
    }
    if (!ids.insert(peer->id).second) {
      return Bad("replication.peers", o.peers,
                 absl::StrCat("peer id ", peer->id, " appears twice"));
    }
    c.peers.push_back(*peer);
  }
  if (!o.secret_file.empty()) {
    absl::StatusOr<std::string> secret =
        ReadSecretFile("replication.secret_file", o.secret_file);
    if (!secret.ok()) return secret.status();
    c.secret = *secret;
  }
  if (!IsLoopback(c.listen_host) && c.secret.empty()) {
    return Bad("replication.listen", o.listen,
               "a non-loopback address needs replication.secret_file (S1: "
               "peers must authenticate off this machine)");
  }
  c.sync_mode = o.mode == "sync";
  c.sync_fsync_always = o.sync_durability == "fsync";
  if (o.sync_acks == "majority") {
    c.sync_acks = kSyncAcksMajority;
  } else if (o.sync_acks == "all") {
    c.sync_acks = kSyncAcksAll;
  } else if (!absl::SimpleAtoi(AV(o.sync_acks), &c.sync_acks) ||
             c.sync_acks == 0 || c.sync_acks > 1000000) {
    return Bad("replication.sync_acks", o.sync_acks,
               "expected a count >= 1, majority or all");
  }
  absl::string_view policy = AV(o.failed_task_policy);
  if (policy == "store") {
  } else if (policy == "discard") {
    c.discard_failed = true;
  } else if (absl::ConsumePrefix(&policy, "retry:") &&
             absl::SimpleAtoi(policy, &c.retry_limit) && c.retry_limit > 0) {
  } else {
    return Bad("replication.failed_task_policy", o.failed_task_policy,
               "expected store, retry:N (N >= 1) or discard");
  }
  return c;
}

absl::Span<const ReplicationOptionSpec> ReplicationOptionTable() {
  return kReplicationOptions;
}

absl::Span<const ServeOptionSpec> ServeOptionTable() { return kServeOptions; }

absl::Status SetNodeOption(NodeOptions* options, std::string_view name,
                           std::string_view value) {
  if (IsReplicationName(name)) {
    return SetOptionIn(ReplicationOptionTable(), &options->replication, name,
                       value);
  }
  if (absl::StartsWith(AV(name), AV(kServePrefix))) {
    return SetOptionIn(ServeOptionTable(), &options->serve, name, value);
  }
  return SetOption(&options->engine, name, value);
}

absl::StatusOr<std::string> GetNodeOption(const NodeOptions& options,
                                          std::string_view name) {
  if (IsReplicationName(name)) {
    return GetOptionIn(ReplicationOptionTable(), options.replication, name);
  }
  if (absl::StartsWith(AV(name), AV(kServePrefix))) {
    return GetOptionIn(ServeOptionTable(), options.serve, name);
  }
  return GetOption(options.engine, name);
}

std::string NodeOptionsToJson(const NodeOptions& options) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  OptionsToJsonIn(OptionTable(), options.engine, &j);
  OptionsToJsonIn(ReplicationOptionTable(), options.replication, &j);
  OptionsToJsonIn(ServeOptionTable(), options.serve, &j);
  return j.dump();
}

}  // namespace cairn::replication
