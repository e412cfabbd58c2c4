#include "cluster/node_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "replication/frame.h"
#include "replication/wire.h"

namespace cairn::cluster {
namespace {

using replication::Connection;
using replication::Frame;
using replication::FrameType;

// The same code with `context` in front of the message.
absl::Status Annotate(const absl::Status& s, absl::string_view context) {
  return absl::Status(s.code(), absl::StrCat(context, ": ", s.message()));
}

}  // namespace

NodeClient::NodeClient(NodeAddress address, NodeClientOptions options)
    : address_(std::move(address)),
      options_(std::move(options)),
      name_(absl::StrCat("node ", address_.id, " at ", address_.host, ":",
                         address_.port)) {}

NodeClient::~NodeClient() { Close(); }

absl::StatusOr<ClientReply> NodeClient::Call(const ClientRequest& request,
                                             absl::Time deadline) {
  MutexLock lock(&mu_);
  if (conn_ != nullptr && Stale()) {
    conn_->Shutdown();
    conn_.reset();
  }
  if (conn_ == nullptr) {
    if (absl::Status s = Connect(deadline); !s.ok()) return s;
  }
  return Exchange(request, deadline);
}

bool NodeClient::Stale() {
  // Between calls nothing may arrive: a frame, an end of stream or an error
  // waiting now means the node closed the connection (it was idle past
  // node.client_idle_ms, or the node restarted). Looking costs one poll.
  absl::StatusOr<Frame> pending = conn_->Receive(absl::InfinitePast());
  return !absl::IsDeadlineExceeded(pending.status());
}

absl::Status NodeClient::Connect(absl::Time deadline) {
  const absl::Duration left =
      std::min(deadline - absl::Now(), options_.connect_timeout);
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(
        absl::StrCat(name_, ": no time left to connect"));
  }
  const absl::Time until = absl::Now() + left;
  absl::StatusOr<std::unique_ptr<Connection>> conn =
      Connection::Connect(address_.host, address_.port, left);
  if (!conn.ok()) return Annotate(conn.status(), name_);
  replication::HandshakeConfig hc;
  hc.cluster_id = options_.cluster_id;
  hc.node_id = 0;  // a client
  hc.secret = options_.secret;
  hc.max_frame_payload = options_.max_frame_payload;
  hc.timeout = std::max(until - absl::Now(), absl::Milliseconds(1));
  absl::StatusOr<replication::Welcome> welcome = (*conn)->ClientHandshake(
      hc, replication::Role::kClient, address_.id);
  if (!welcome.ok()) {
    (*conn)->Shutdown();
    return Annotate(welcome.status(), absl::StrCat(name_, ": handshake"));
  }
  conn_ = std::move(*conn);
  local_ = conn_->LocalAddress();
  return absl::OkStatus();
}

absl::StatusOr<ClientReply> NodeClient::Exchange(const ClientRequest& request,
                                                 absl::Time deadline) {
  ClientRequest sent = request;
  if (sent.id == 0) sent.id = next_id_++;
  std::string payload;
  // A request the codec refuses never reaches the node: not the node's
  // fault, and the connection stays.
  if (absl::Status s = EncodeRequest(sent, &payload); !s.ok()) return s;
  if (absl::Status s = conn_->Send(FrameType::kClientRequest, payload);
      !s.ok()) {
    return Broken(s);
  }
  absl::StatusOr<Frame> frame = conn_->Receive(deadline);
  if (!frame.ok()) return Broken(frame.status());
  if (frame->type == FrameType::kError) {
    absl::StatusOr<replication::ErrorFrame> e =
        replication::DecodeError(frame->payload);
    return Broken(absl::UnavailableError(absl::StrCat(
        "closed the connection: ", e.ok() ? e->reason : "(bad reason)")));
  }
  if (frame->type != FrameType::kClientReply) {
    return Broken(absl::InvalidArgumentError(
        absl::StrCat("answered with frame type ", static_cast<int>(frame->type),
                     ", not a client reply (",
                     static_cast<int>(FrameType::kClientReply), ")")));
  }
  absl::StatusOr<ClientReply> reply = DecodeReply(frame->payload);
  if (!reply.ok()) return Broken(reply.status());
  if (reply->id != sent.id) {
    return Broken(absl::DataLossError(absl::StrCat(
        "reply id ", reply->id, " does not match request id ", sent.id)));
  }
  return reply;
}

absl::Status NodeClient::Broken(const absl::Status& s) {
  if (conn_ != nullptr) conn_->Shutdown();
  conn_.reset();
  local_.clear();
  return Annotate(s, name_);
}

std::string NodeClient::LocalAddress() {
  MutexLock lock(&mu_);
  return local_;
}

void NodeClient::Close() {
  MutexLock lock(&mu_);
  if (conn_ != nullptr) conn_->Shutdown();
  conn_.reset();
  local_.clear();
}

TransportFactory NodeClientFactory(NodeClientOptions options) {
  return [options](const NodeAddress& address)
             -> std::unique_ptr<NodeTransport> {
    return std::make_unique<NodeClient>(address, options);
  };
}

TransportFactory NodeClientFactory(std::string cluster_id, std::string secret,
                                   absl::Duration connect_timeout) {
  NodeClientOptions options;
  options.cluster_id = std::move(cluster_id);
  options.secret = std::move(secret);
  options.connect_timeout = connect_timeout;
  return NodeClientFactory(std::move(options));
}

}  // namespace cairn::cluster
