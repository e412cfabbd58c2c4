// Cluster's private per-node state and attempt result (cluster.h). Only
// cluster*.cc include this.
#ifndef CAIRN_CLUSTER_CLUSTER_NODE_H_
#define CAIRN_CLUSTER_CLUSTER_NODE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cluster/client_wire.h"
#include "cluster/cluster.h"
#include "cluster/transport.h"
#include "replication/failure_detector.h"

namespace cairn::cluster {

// Fixed fields are set at Open; the rest are guarded by Cluster::mu_ (an
// annotation cannot name the enclosing object's mutex). The transport and
// the detector are thread-safe themselves.
struct Cluster::Node {
  Node(const NodeAddress& a, std::unique_ptr<NodeTransport> t,
       uint64_t threshold, absl::Duration validity)
      : address(a),
        host_port(absl::StrCat(a.host, ":", a.port)),
        name(absl::StrCat("node ", a.id, " (", host_port, ")")),
        transport(std::move(t)),
        detector(threshold, validity) {}

  const NodeAddress address;
  const std::string host_port;
  const std::string name;  // "node 2 (127.0.0.1:7001)"
  const std::unique_ptr<NodeTransport> transport;
  replication::FailureDetector detector;

  // Guarded by Cluster::mu_.
  bool answered = false;  // a good reply ever arrived
  bool status_known = false;
  NodeStatus status;   // the last status reply
  bool serves = true;  // last status or refusal; assumed until told
  uint32_t master = 0;
  std::string why;
  std::string last_error;
  uint64_t seen_times_tagged = 0;  // to notice a new tag (back of line)
};

struct Cluster::Attempt {
  enum class Kind {
    kAnswer,   // success or an error that is not the node's fault
    kRefused,  // a refusal (refusal.h)
    kFault,    // counts against the node (SPEC C3)
  };
  Kind kind = Kind::kFault;
  ClientReply reply;
  std::string text;     // kFault: what went wrong; kRefused: the message
  uint32_t master = 0;  // kRefused: the master named
};

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_CLUSTER_NODE_H_
