// ClientService: what one serving node answers to cluster clients
// (client_wire.h; SPEC C2-C4, R4). The session loop (client_session.h)
// decodes requests and hands them here; this class does the work.
//
//  - get, put, delete, batch (one atomic Db write), and a bounded range scan
//    (at most min(scan_limit, node.max_scan_entries) entries and about
//    kMaxScanReplyBytes; the reply says when it stopped early). Writes go
//    through replication::Node, so they replicate like local ones.
//  - Reads and writes are refused with Unavailable naming the master when
//    the NodeRole says this node does not serve; status is always answered.
//  - status: W = node.capacity; C = the cache tier's used bytes
//    ("cairn.cache.used_bytes", 0 with the cache off); R = an exponentially
//    weighted mean of the service time of the get, put, delete, batch and
//    scan requests (weight 1/8 for each new sample, like TCP's smoothed
//    RTT), rounded up to whole microseconds (so a node that served anything
//    reports at least 1); 0 before the first request. Status and
//    report_failure are not timed: a status poll must not make R look
//    faster than the work is.
//  - report_failure (R4): counted, logged to the node's info LOG with the
//    client id, its address and the request id, and shown in the
//    "cairn.clients" property (counters and the last kRecentFailures
//    reports).
// Bad requests get InvalidArgument naming the culprit, in the reply.
//
// Thread-safe: one instance serves every session of a node.
#ifndef CAIRN_CLUSTER_CLIENT_SERVICE_H_
#define CAIRN_CLUSTER_CLIENT_SERVICE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cluster/client_wire.h"
#include "cluster/node_role.h"
#include "engine/mutex.h"
#include "replication/node.h"

namespace cairn::cluster {

struct ClientServiceOptions {
  uint64_t capacity = 100;          // node.capacity
  uint32_t max_scan_entries = 1000; // node.max_scan_entries
};

class ClientService {
 public:
  // Bytes of keys and values one scan reply carries at most (it always
  // carries at least one entry when there is one).
  static constexpr size_t kMaxScanReplyBytes = 8u << 20;
  // Failure reports kept for "cairn.clients".
  static constexpr size_t kRecentFailures = 16;

  // `node` and `role` must outlive the service.
  ClientService(replication::Node* node, NodeRole* role,
                ClientServiceOptions options);
  ClientService(const ClientService&) = delete;
  ClientService& operator=(const ClientService&) = delete;

  // Answers one request from the client at `peer` (its address, for the
  // log). Never fails: every error is the reply's code and message.
  ClientReply Handle(const ClientRequest& request, std::string_view peer);

  // This node's W, C, R and role.
  NodeStatus Status();

  // The caps a session decodes requests with: the engine's key and value
  // limits.
  ClientWireLimits RequestLimits() const;

  // Counted by the sessions, shown in StatusJson.
  void SessionOpened() { sessions_.fetch_add(1); ++sessions_total_; }
  void SessionClosed() { sessions_.fetch_sub(1); }
  void BadRequest() { ++bad_requests_; }
  void BadFrame() { ++bad_frames_; }

  // The "cairn.clients" property: {"serving":true, "sessions":...,
  // "requests":{method:count}, "errors":..., "refused_not_serving":...,
  // "bad_requests":..., "bad_frames":..., "failures_reported":...,
  // "recent_failures":[{client_id, address, request_id, reason}],
  // "status":{W, C, R, serves, master, why}}.
  std::string StatusJson();

 private:
  struct FailureReport {
    std::string client_id;
    std::string address;
    uint64_t request_id = 0;
    std::string reason;
  };

  ClientReply Serve(const ClientRequest& request);
  ClientReply Get(const ClientRequest& request);
  ClientReply Put(const ClientRequest& request);
  ClientReply Delete(const ClientRequest& request);
  ClientReply Batch(const ClientRequest& request);
  ClientReply Scan(const ClientRequest& request);
  void ReportFailure(const ClientRequest& request, std::string_view peer);
  void RecordServiceTime(absl::Duration elapsed) ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t ResponseMicros() ABSL_LOCKS_EXCLUDED(mu_);

  replication::Node* const node_;
  NodeRole* const role_;
  const ClientServiceOptions options_;

  std::array<std::atomic<uint64_t>, kMaxMethod + 1> requests_{};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> refused_{0};
  // Requests served while the role turned to not serving (a paused or cut
  // standby master whose lease lapsed meanwhile): answered with an error.
  std::atomic<uint64_t> stepped_down_{0};
  std::atomic<uint64_t> bad_requests_{0};
  std::atomic<uint64_t> bad_frames_{0};
  std::atomic<int64_t> sessions_{0};
  std::atomic<uint64_t> sessions_total_{0};
  std::atomic<uint64_t> failures_reported_{0};

  Mutex mu_;
  // The smoothed service time in nanoseconds; negative before the first.
  double mean_ns_ ABSL_GUARDED_BY(mu_) = -1;
  std::deque<FailureReport> recent_failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_CLIENT_SERVICE_H_
