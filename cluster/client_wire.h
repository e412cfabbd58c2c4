// The client protocol: what a cluster client asks a serving node, and what
// the node answers (SPEC C2-C4, issue 13).
//
// Clients reuse the replication transport (replication/connection.h): they
// connect to a node's replication listener with Role::kClient and node id 0,
// shake hands (cluster id, secret proof), then send kClientRequest frames and
// read kClientReply frames (frame types 13 and 14). Every request carries an
// id the reply echoes, so a client may pipeline.
//
// The codecs are bounds-checked like wire.h's: a decoder never trusts a
// length, and rejects trailing bytes, unknown methods and oversize fields
// with InvalidArgument naming the field.
#ifndef CAIRN_CLUSTER_CLIENT_WIRE_H_
#define CAIRN_CLUSTER_CLIENT_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::cluster {

enum class Method : uint8_t {
  kGet = 1,
  kPut = 2,
  kDelete = 3,
  kBatch = 4,   // an atomic batch of puts and deletes
  kScan = 5,    // a bounded range scan
  kStatus = 6,  // W, C, R and the node's role (also the heartbeat)
  kReportFailure = 7,  // R4: "your reply to my request N failed here"
};
inline constexpr uint8_t kMaxMethod = 7;

// "get", "put", "delete", "batch", "scan", "status", "report_failure".
std::string_view MethodName(Method method);
// The inverse; InvalidArgument naming `name` when unknown.
[[nodiscard]] absl::StatusOr<Method> ParseMethod(std::string_view name);

struct BatchOp {
  bool is_delete = false;
  std::string key;
  std::string value;  // puts only
};

struct ClientRequest {
  uint64_t id = 0;         // echoed by the reply
  Method method = Method::kGet;
  std::string client_id;   // who asks (audit); <= 255 bytes
  // get/delete: one op with its key; put: one op with key and value;
  // batch: every op, applied atomically.
  std::vector<BatchOp> ops;
  bool sync = false;       // writes: durable before the reply
  // scan: keys in [scan_start, scan_end) (empty end: to the last key), at
  // most scan_limit entries (0 is refused; the node caps it too).
  std::string scan_start;
  std::string scan_end;
  uint32_t scan_limit = 0;
  // report_failure: the request of this client that failed at this node,
  // and why (R4).
  uint64_t failed_request_id = 0;
  std::string failure_reason;
};

// A node's answer to kStatus (SPEC C4's W, C and R, and its role).
struct NodeStatus {
  uint32_t node_id = 0;
  uint64_t capacity = 0;        // W: node.capacity, configured
  uint64_t cached_bytes = 0;    // C: data held in the cache tier
  uint64_t response_us = 0;     // R: recent mean response time, microseconds
  bool serves = true;           // it accepts client operations now
  uint32_t master = 0;          // standby mode: the master it knows (0: none)
  std::string why;              // when it does not serve: the reason
};

struct ClientReply {
  uint64_t id = 0;
  uint32_t code = 0;            // an absl::StatusCode; 0 is OK
  std::string message;          // when code != 0
  bool found = false;           // get
  std::string value;            // get
  std::vector<std::pair<std::string, std::string>> entries;  // scan
  bool scan_truncated = false;  // scan stopped at its limit
  NodeStatus status;            // status
};

// Caps of the codecs (issue 13 additions). Fixed ones first; the key,
// value and count caps are a ClientWireLimits, so a node decodes with its
// engine's limits and an oversize field is refused by name before the
// engine sees it.
inline constexpr size_t kMaxClientIdSize = 255;
inline constexpr size_t kMaxFailureReasonSize = 1024;
inline constexpr size_t kMaxReplyMessageSize = 4096;
inline constexpr size_t kMaxWhySize = 1024;
struct ClientWireLimits {
  uint32_t max_key_size = 16u << 20;     // the engine's largest max_key_size
  uint32_t max_value_size = 1u << 30;    // the engine's largest max_value_size
  uint32_t max_ops = 1u << 20;           // batch operations per request
  uint32_t max_entries = 1u << 20;       // scan entries per reply
};

// Payload codecs (the frame layer adds type, length, checksum and mac).
// Encoders refuse a field over its cap (default limits) with
// InvalidArgument naming it, so what they produce always decodes.
[[nodiscard]] absl::Status EncodeRequest(const ClientRequest& request,
                                         std::string* out);
[[nodiscard]] absl::StatusOr<ClientRequest> DecodeRequest(
    std::string_view payload);
[[nodiscard]] absl::Status EncodeReply(const ClientReply& reply,
                                       std::string* out);
[[nodiscard]] absl::StatusOr<ClientReply> DecodeReply(std::string_view payload);
// The same with explicit caps (the one-argument forms use the defaults).
[[nodiscard]] absl::StatusOr<ClientRequest> DecodeRequest(
    std::string_view payload, const ClientWireLimits& limits);
[[nodiscard]] absl::StatusOr<ClientReply> DecodeReply(
    std::string_view payload, const ClientWireLimits& limits);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_CLIENT_WIRE_H_
