// Cluster: the routing cluster client (SPEC C2-C4, B2, R1-R5). It holds one
// NodeTransport per configured node and sends each request to the node its
// mode and master choice name, retrying elsewhere on a node fault, and keeps
// SPEC C3's failure state per node.
//
// Failure detection (C3). One replication::FailureDetector per node holds
// the counter and the tag. These count as failures of a node:
//   - a transport failure (connect, send, timeout, a bad or mismatched
//     frame: NodeTransport::Call returned non-OK), a reply whose id is not
//     the request's, or a status code outside absl's (garbage);
//   - an error reply whose code signals a fault of the node: UNAVAILABLE
//     (except a refusal, refusal.h), INTERNAL, DATA_LOSS,
//     DEADLINE_EXCEEDED, UNKNOWN, RESOURCE_EXHAUSTED.
// Every other error reply (NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION,
// OUT_OF_RANGE, ALREADY_EXISTS, ABORTED, ...) is the request's problem, not
// the node's: it goes back to the caller and counts as a good reply, as do
// a success and a refusal. A good reply resets the counter (and the tag);
// past failure_threshold failures the node is tagged for tag_validity.
// Heartbeats (kStatus) go to every node, tagged or not, every
// heartbeat_interval, from a background thread; they feed the same counter
// and carry W, C, R and whether the node serves. A round asks the nodes one
// after another, so a stalled node delays the others' heartbeats by up to
// op_timeout.
//
// Routing. A node is *available* when it is not tagged and does not say it
// refuses to serve (its last status or refusal; a node never heard from is
// assumed to serve). The candidates of a request, in order:
//   active, load:    the load ranking of the last refresh (master_choice.h),
//                    best first, minus nodes no longer available, then
//                    available nodes the ranking lacks (id ascending). The
//                    ranking is recomputed every load_refresh (clock time),
//                    by the next request or heartbeat round after it is
//                    due, and early while the last refresh ranked no node
//                    but a status has arrived since;
//   active, hash / consistent_hash: HashOrder / RendezvousOrder of the
//                    routing key over the available nodes;
//   active, slots:   the slot's node only (when tagged: Unavailable naming
//                    the slot and the node; no fallback);
//   standby:         the client's standby order filtered by availability.
//                    It starts as cluster.standby_order; a node is moved to
//                    its end when it gets tagged (C2: a recovered node
//                    rejoins at the end), so the client does not return to
//                    an old master that comes back.
// After the available nodes come untagged nodes that said they do not serve
// (a standby node may have taken over since its last status; asking costs
// one round trip and a refusal updates what the client knows). In standby
// mode a refusal naming a master makes the client try that master next,
// once per request. A fault moves on to the next candidate while fewer than
// 1 + retries faults happened (slots: no retry). Each node is tried at most
// once per request. The routing key is the key (get/put/delete), the first
// key (batch: with slots every key must map to one node) or scan_start.
//
// When a request cannot be served (no candidate, or every attempt refused
// or faulted) the result is UNAVAILABLE whose message lists every node and
// why: its outcome in this request, or "tagged failed until T after N
// failures (last: ...)", or "refused: ...".
//
// R4, R1-R3. A fault at a node queues a best-effort kReportFailure to that
// node (request id and reason) sent by a background thread; its own outcome
// counts for nothing (the fault was counted once already). With an AuditLog
// every call (routed or refused before routing) appends one AuditRecord:
// clock times at start and end, client id, the client's local address on
// the final node's connection, method, AuditParams, shard (slot with
// slots, else -1), the final node (0: none), outcome and message. An audit
// append failure is counted in stats(), never changes the outcome.
//
// Thread-safety: every public method may be called from any thread. Close()
// (and the destructor) stops the background threads: it signals them and
// joins, waiting at most for one in-flight heartbeat or report (bounded by
// op_timeout). The Cluster must outlive the calls made on it.
#ifndef CAIRN_CLUSTER_CLUSTER_H_
#define CAIRN_CLUSTER_CLUSTER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cluster/audit_log.h"
#include "cluster/client_wire.h"
#include "cluster/clock.h"
#include "cluster/master_choice.h"
#include "cluster/options.h"
#include "cluster/transport.h"
#include "engine/mutex.h"
#include "replication/failure_detector.h"

namespace cairn::cluster {

// One node as the client sees it (Cluster::Nodes()).
struct NodeInfo {
  enum class State {
    kUnknown,  // not tagged, never answered (yet)
    kUp,       // not tagged, answered at least once
    kTagged,   // tagged failed until tag_expiry
  };
  uint32_t id = 0;
  std::string address;  // host:port
  State state = State::kUnknown;
  uint64_t failures = 0;                         // the C3 counter
  absl::Time tag_expiry = absl::InfinitePast();  // when tagged
  uint64_t times_tagged = 0;
  std::string last_error;     // the last failure ("" if none)
  bool status_known = false;  // a status reply arrived
  uint64_t capacity = 0;      // W (last status)
  uint64_t cached_bytes = 0;  // C
  uint64_t response_us = 0;   // R
  bool ranked = false;        // in the last load ranking (load choice)
  double score = 0;           // its C4 score there
  bool serves = true;         // last status or refusal (assumed until told)
  uint32_t master = 0;        // the master it named (0: none)
  std::string why;            // why it does not serve
  int standby_position = -1;  // standby: 0-based place in the client order
};
std::string_view NodeStateName(NodeInfo::State state);
// The nodes as a JSON array of objects (keys: id, address, state, failures,
// tag_expiry_us (null unless tagged), times_tagged, last_error,
// status_known, capacity, cached_bytes, response_us, ranked, score (null
// unless ranked), serves, master, why, standby_position (null in active
// mode)), for the C ABI and the bindings.
std::string NodesToJson(absl::Span<const NodeInfo> nodes);

struct ScanResult {
  std::vector<std::pair<std::string, std::string>> entries;
  bool truncated = false;  // stopped at the limit
};

struct ClusterStats {
  uint64_t requests = 0;         // calls of Get/Put/Delete/Write/Scan
  uint64_t faults = 0;           // attempts that counted against a node
  uint64_t retries = 0;          // attempts after a fault
  uint64_t refusals = 0;         // refusal replies
  uint64_t heartbeats = 0;       // status requests sent
  uint64_t reports_sent = 0;     // kReportFailure answered
  uint64_t reports_failed = 0;   // kReportFailure not answered
  uint64_t reports_dropped = 0;  // the queue was full
  uint64_t audit_records = 0;
  uint64_t audit_failures = 0;
};

// What Open needs besides the config; tests substitute both fields.
struct ClusterEnv {
  Clock* clock = nullptr;  // nullptr: RealClock(); must outlive the Cluster
  // false: no background threads; the owner calls HeartbeatOnce() and
  // FlushReports() (deterministic tests).
  bool background = true;
};

class Cluster {
 public:
  // `config` from ValidateCluster; `factory` makes one transport per node
  // (called once per node here); `audit` may be null (no audit records).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Cluster>> Open(
      ClusterConfig config, TransportFactory factory,
      std::unique_ptr<AuditLog> audit = nullptr, ClusterEnv env = {});
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // NotFound when the key is absent.
  [[nodiscard]] absl::Status Get(std::string_view key, std::string* value);
  [[nodiscard]] absl::Status Put(std::string_view key, std::string_view value,
                                 bool sync = false);
  [[nodiscard]] absl::Status Delete(std::string_view key, bool sync = false);
  // Atomic at the node that takes it; not empty.
  [[nodiscard]] absl::Status Write(absl::Span<const BatchOp> ops,
                                   bool sync = false);
  // Keys in [start, end) ("" end: to the last key), at most `limit` (> 0).
  [[nodiscard]] absl::StatusOr<ScanResult> Scan(std::string_view start,
                                                std::string_view end,
                                                uint32_t limit);

  // Every node in cluster.nodes order, as of the clock's now.
  std::vector<NodeInfo> Nodes();
  ClusterStats stats() const;
  const ClusterConfig& config() const { return config_; }
  // The audit log given to Open (null if none), e.g. for queries.
  AuditLog* audit_log() const { return audit_.get(); }

  // One heartbeat round: a status request to every node, in node order.
  // The background thread calls it every heartbeat_interval.
  void HeartbeatOnce();
  // Sends every queued failure report now, in this thread.
  void FlushReports();
  // Stops the background threads. Requests afterwards fail with
  // FAILED_PRECONDITION. Idempotent.
  void Close();

 private:
  struct Node;
  struct Attempt;
  struct Report {
    size_t node;
    ClientRequest request;
  };
  struct Route {
    std::vector<size_t> candidates;  // node indexes in order
    int64_t shard = -1;
    std::string refusal;  // why there is no candidate (slots)
  };
  struct Outcome {
    absl::Status status;
    ClientReply reply;
    size_t node = SIZE_MAX;  // the node that gave the final answer
  };

  Cluster(ClusterConfig config, std::unique_ptr<AuditLog> audit, Clock* clock);

  // The request through routing, attempts, audit; the reply when OK.
  Outcome Execute(ClientRequest request, std::string_view routing_key);
  Outcome Dispatch(ClientRequest* request, std::string_view routing_key,
                   int64_t* shard);
  Route PlanRoute(std::string_view routing_key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The node's answer to one attempt, classified (no state change).
  Attempt CallNode(size_t node, const ClientRequest& request);
  // Applies an attempt's result to the node's C3 and serving state.
  void RecordGood(size_t node, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordFault(size_t node, const std::string& why, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RecordStatus(size_t node, const NodeStatus& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void QueueReport(size_t node, const ClientRequest& failed,
                   const std::string& why) ABSL_LOCKS_EXCLUDED(mu_);
  void SendReport(const Report& report);
  void MaybeRefreshLoad(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Available(size_t node, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // "node 2 (127.0.0.1:7001): <state and why>"; `tried` holds this
  // request's attempts' outcomes by node index ("" not tried).
  std::string NodeLine(size_t node, const std::string& tried, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Unavailable(std::string_view method, std::string_view lead,
                           const std::vector<std::string>& tried,
                           absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);
  void Audit(const ClientRequest& request, absl::Time start,
             const Outcome& outcome, int64_t shard);
  void HeartbeatLoop();
  void ReportLoop();
  size_t IndexOf(uint32_t id) const;  // SIZE_MAX when not configured

  const ClusterConfig config_;
  const std::unique_ptr<AuditLog> audit_;
  Clock* const clock_;
  std::vector<std::unique_ptr<Node>> nodes_;  // config order; fixed at Open
  absl::flat_hash_map<uint32_t, size_t> index_of_;  // fixed at Open
  std::atomic<uint64_t> next_request_id_{1};

  mutable Mutex mu_;
  CondVar cv_;  // closing_ or reports_ changed
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<size_t> standby_order_ ABSL_GUARDED_BY(mu_);
  std::vector<LoadScore> ranking_ ABSL_GUARDED_BY(mu_);
  absl::Time next_refresh_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::deque<Report> reports_ ABSL_GUARDED_BY(mu_);
  ClusterStats stats_ ABSL_GUARDED_BY(mu_);
  Mutex join_mu_;  // serialises Close()'s joins
  std::thread heartbeat_thread_;
  std::thread report_thread_;
};

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_CLUSTER_H_
