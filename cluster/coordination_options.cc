#include "cluster/coordination_options.h"

#include "absl/strings/str_cat.h"
#include "replication/options.h"

namespace cairn::cluster {
namespace {

using C = CoordinationOptions;

const CoordinationOptionSpec kCoordinationOptions[] = {
    {"coordination.etcd", OptionType::kString, &C::etcd, "",
     "etcd endpoint (host:port, host an IP address or localhost) holding the "
     "standby master's leader lease. Empty: no etcd; a node then serves only "
     "while it sees a majority of the standby sequence.",
     0, 300},
    {"coordination.lease_ttl_ms", OptionType::kUint, &C::lease_ttl_ms, "3000",
     "TTL of the leader lease. A master whose renewals stop (etcd "
     "unreachable, the process paused) stops serving at most this long after "
     "its last renewal request; another node takes over after it. etcd "
     "grants whole seconds (at least 2 by default): the local deadline uses "
     "this value, the grant is rounded up.",
     1000, 600000},
    {"coordination.renew_interval_ms", OptionType::kUint,
     &C::renew_interval_ms, "0",
     "Interval of lease renewals (and of reading the leader key when not "
     "master). 0: lease_ttl_ms / 3.",
     0, 600000},
    {"coordination.clock_margin_ms", OptionType::kUint, &C::clock_margin_ms,
     "200",
     "Safety margin: the master stops serving this long before its lease "
     "could lapse in etcd (covers clock rate differences).",
     0, 600000},
    {"coordination.request_timeout_ms", OptionType::kUint,
     &C::request_timeout_ms, "500",
     "Deadline of every etcd request, connect to last byte of the reply.", 10,
     600000},
    {"coordination.refresh_ms", OptionType::kUint, &C::refresh_ms, "100",
     "Without etcd: interval at which a standby node re-evaluates whether it "
     "is the first reachable node with a majority.",
     1, 600000},
};

absl::Status Bad(std::string_view option, std::string_view value,
                 std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "option ", std::string(option), ": ", std::string(why), " ('",
      std::string(value), "')"));
}

}  // namespace

absl::Span<const CoordinationOptionSpec> CoordinationOptionTable() {
  return kCoordinationOptions;
}

absl::Status SetCoordinationOption(CoordinationOptions* options,
                                   std::string_view name,
                                   std::string_view value) {
  return SetOptionIn(CoordinationOptionTable(), options, name, value);
}

absl::StatusOr<std::string> GetCoordinationOption(
    const CoordinationOptions& options, std::string_view name) {
  return GetOptionIn(CoordinationOptionTable(), options, name);
}

absl::StatusOr<CoordinationConfig> ValidateCoordination(
    const CoordinationOptions& o) {
  CoordinationConfig c;
  if (!o.etcd.empty()) {
    if (absl::Status s =
            replication::ParseHostPort(o.etcd, &c.etcd_host, &c.etcd_port);
        !s.ok()) {
      return Bad("coordination.etcd", o.etcd, std::string(s.message()));
    }
    if (c.etcd_port == 0) {
      return Bad("coordination.etcd", o.etcd, "port 0 is not etcd's port");
    }
    c.use_etcd = true;
  }
  if (o.lease_ttl_ms == 0) {
    return Bad("coordination.lease_ttl_ms", "0", "the lease TTL must be > 0");
  }
  c.lease_ttl = absl::Milliseconds(o.lease_ttl_ms);
  c.renew_interval = absl::Milliseconds(
      o.renew_interval_ms == 0 ? o.lease_ttl_ms / 3 : o.renew_interval_ms);
  c.clock_margin = absl::Milliseconds(o.clock_margin_ms);
  c.request_timeout = absl::Milliseconds(o.request_timeout_ms);
  c.refresh = absl::Milliseconds(o.refresh_ms);
  if (c.renew_interval + c.clock_margin >= c.lease_ttl) {
    return Bad("coordination.renew_interval_ms",
               absl::StrCat(absl::ToInt64Milliseconds(c.renew_interval)),
               absl::StrCat("renew_interval_ms + clock_margin_ms (",
                            o.clock_margin_ms,
                            ") must be below lease_ttl_ms (", o.lease_ttl_ms,
                            "), or the lease lapses between renewals"));
  }
  if (c.request_timeout > c.renew_interval) {
    return Bad("coordination.request_timeout_ms",
               absl::StrCat(o.request_timeout_ms),
               absl::StrCat("an etcd request must fit in a renewal interval (",
                            absl::ToInt64Milliseconds(c.renew_interval),
                            " ms)"));
  }
  return c;
}

std::string LeaderKey(std::string_view cluster_id) {
  return absl::StrCat("/cairn/", std::string(cluster_id), "/leader");
}

}  // namespace cairn::cluster
