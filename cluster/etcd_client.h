// EtcdClient: a small synchronous client of etcd v3's HTTP/JSON gateway
// (etcd 3.4: POST /v3/...), with just what a leader lease needs: lease
// grant, keepalive and revoke, a create-if-absent transaction, and reading
// and deleting one key. No gRPC: Boost.Beast over one TCP connection per
// call (loopback or a LAN: a connect costs less than the bookkeeping of a
// pool, and a fresh connection never inherits a half-read stream).
//
// Every call is bounded by Options::timeout, from connect to the last byte
// of the reply. Errors are values naming the endpoint, the call and what
// failed:
//   Unavailable       etcd could not be reached or did not answer in time
//                     (retry later);
//   NotFound          the lease does not exist any more (keepalive, revoke);
//   InvalidArgument   a malformed reply (see etcd_wire.h) — never a crash;
//   other codes       etcd's own gRPC error, passed through.
//
// Thread-safe: calls share no mutable state and may run concurrently.
#ifndef CAIRN_CLUSTER_ETCD_CLIENT_H_
#define CAIRN_CLUSTER_ETCD_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cluster/etcd_wire.h"

namespace cairn::cluster {

class EtcdClient {
 public:
  struct Options {
    absl::Duration timeout = absl::Milliseconds(500);
    size_t max_reply_bytes = 1 << 20;
  };

  // `endpoint`: "host:port", host an IP literal or localhost (nothing is
  // resolved through DNS). InvalidArgument naming it otherwise.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(
      std::string_view endpoint, const Options& options);
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EtcdClient>> Create(
      std::string_view endpoint) {
    return Create(endpoint, Options());
  }

  // A new lease of `ttl_seconds` (etcd may grant more: its minimum TTL).
  [[nodiscard]] absl::StatusOr<EtcdLease> LeaseGrant(int64_t ttl_seconds);
  // Renews `lease` once; returns its TTL from now, in seconds. NotFound when
  // the lease expired or was revoked.
  [[nodiscard]] absl::StatusOr<int64_t> LeaseKeepAlive(int64_t lease);
  // Revokes `lease`; the keys under it are deleted. Revoking a lease that is
  // already gone is OK.
  [[nodiscard]] absl::Status LeaseRevoke(int64_t lease);
  // Puts key=value under `lease` if the key does not exist; otherwise reads
  // it. Atomic (one etcd transaction): of two concurrent callers exactly one
  // gets succeeded == true.
  [[nodiscard]] absl::StatusOr<EtcdTxnReply> CreateIfAbsent(
      std::string_view key, std::string_view value, int64_t lease);
  // The key, or nullopt when absent.
  [[nodiscard]] absl::StatusOr<std::optional<EtcdKeyValue>> Get(
      std::string_view key);
  // Deletes the key; returns how many keys went (0 or 1).
  [[nodiscard]] absl::StatusOr<int64_t> Delete(std::string_view key);

  // "host:port", as named in every error.
  const std::string& endpoint() const { return endpoint_; }

 private:
  EtcdClient(std::string endpoint, std::string host, uint16_t port,
             const Options& options)
      : endpoint_(std::move(endpoint)),
        host_(std::move(host)),
        port_(port),
        options_(options) {}

  // POSTs `body` to `path`; the reply body of an HTTP 200, otherwise a
  // status as described above (not yet prefixed with the endpoint).
  absl::StatusOr<std::string> Post(std::string_view path,
                                   const std::string& body);
  // Prefixes "etcd at <endpoint>: <call>: " to a failed status.
  absl::Status Named(std::string_view call, const absl::Status& s) const;

  const std::string endpoint_;
  const std::string host_;
  const uint16_t port_;
  const Options options_;
};

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_ETCD_CLIENT_H_
