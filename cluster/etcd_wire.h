// etcd v3's HTTP/JSON gateway, the message side: building the request bodies
// and parsing the replies of the few calls the leader lease needs.
//
// etcd 3.4 serves its v3 API as JSON at /v3/... through grpc-gateway: keys
// and values are base64, 64-bit integers are decimal strings, fields equal to
// their zero value are omitted, and a streaming call (lease keepalive)
// answers one JSON object per line, each wrapped as {"result": ...} or
// {"error": ...}. The parsers accept exactly that and refuse anything else
// with InvalidArgument naming the field: they never crash or throw on garbage
// (tests/fuzz/etcd_fuzzer.cc).
//
// Stateless functions; thread-safe.
#ifndef CAIRN_CLUSTER_ETCD_WIRE_H_
#define CAIRN_CLUSTER_ETCD_WIRE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::cluster {

struct EtcdKeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;  // 0: none
};

struct EtcdLease {
  int64_t id = 0;
  int64_t ttl_seconds = 0;  // granted, or remaining after a keepalive
};

struct EtcdTxnReply {
  bool succeeded = false;
  // The failure branch's range: the key as it is (absent if it vanished).
  std::optional<EtcdKeyValue> current;
};

namespace etcd_wire {

// Request bodies.
std::string LeaseGrantRequest(int64_t ttl_seconds);
std::string LeaseIdRequest(int64_t lease);  // keepalive and revoke
std::string RangeRequest(std::string_view key);
// "Put key=value under lease if the key does not exist (create_revision ==
// 0), else read it."
std::string CreateIfAbsentRequest(std::string_view key, std::string_view value,
                                  int64_t lease);

// Reply parsers (bodies of HTTP 200 answers).
[[nodiscard]] absl::StatusOr<EtcdLease> ParseLeaseGrant(std::string_view body);
// The first message of the keepalive stream. ttl_seconds <= 0: the lease no
// longer exists. An {"error": ...} message becomes its gRPC status.
[[nodiscard]] absl::StatusOr<EtcdLease> ParseKeepAlive(std::string_view body);
[[nodiscard]] absl::StatusOr<EtcdTxnReply> ParseTxn(std::string_view body);
[[nodiscard]] absl::StatusOr<std::vector<EtcdKeyValue>> ParseRange(
    std::string_view body);
// deleterange: how many keys went.
[[nodiscard]] absl::StatusOr<int64_t> ParseDeleteRange(std::string_view body);
// Any reply that only needs to be a JSON object (lease revoke).
[[nodiscard]] absl::Status ParseObject(std::string_view body);
// The gateway's error body for a non-200 answer ({"error", "code",
// "message"}) as a status with etcd's gRPC code; Unknown when the body is not
// such an object.
absl::Status ParseErrorReply(int http_status, std::string_view body);

}  // namespace etcd_wire
}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_ETCD_WIRE_H_
