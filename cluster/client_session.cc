#include "cluster/client_session.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/info_log.h"
#include "engine/strings.h"

namespace cairn::cluster {
namespace {

using replication::Connection;
using replication::Frame;
using replication::FrameType;

ClientServiceOptions ServiceOptions(const replication::NodeOptions& o) {
  ClientServiceOptions s;
  s.capacity = o.serve.capacity;
  s.max_scan_entries = static_cast<uint32_t>(o.serve.max_scan_entries);
  return s;
}

// The id of a request that did not decode: its first 8 bytes when present.
uint64_t SalvageId(std::string_view payload) {
  if (payload.size() < 8) return 0;
  uint64_t id = 0;
  for (size_t i = 0; i < 8; ++i) {
    id |= static_cast<uint64_t>(static_cast<uint8_t>(payload[i])) << (8 * i);
  }
  return id;
}

}  // namespace

ClientSessions::ClientSessions(replication::Node* node,
                               std::shared_ptr<NodeRole> role)
    : node_(node),
      role_(role != nullptr ? std::move(role)
                            : std::shared_ptr<NodeRole>(
                                  std::make_shared<AlwaysServes>())),
      idle_(absl::Milliseconds(node->options().serve.client_idle_ms)),
      service_(node, role_.get(), ServiceOptions(node->options())) {}

void ClientSessions::Serve(Connection* conn, const replication::Hello&) {
  service_.SessionOpened();
  const ClientWireLimits limits = service_.RequestLimits();
  absl::Status why;
  for (;;) {
    absl::StatusOr<Frame> frame = conn->Receive(absl::Now() + idle_);
    if (!frame.ok()) {
      why = frame.status();
      if (!absl::IsDeadlineExceeded(why) && !absl::IsUnavailable(why)) {
        service_.BadFrame();
      }
      break;
    }
    if (frame->type == FrameType::kError) {
      why = absl::CancelledError("the client closed with an error frame");
      break;
    }
    if (frame->type != FrameType::kClientRequest) {
      why = absl::InvalidArgumentError(absl::StrCat(
          "expected a client request (frame type ",
          static_cast<int>(FrameType::kClientRequest), "), got type ",
          static_cast<int>(frame->type)));
      service_.BadFrame();
      conn->Fail(SV(why.message()));
      break;
    }
    absl::StatusOr<ClientRequest> request =
        DecodeRequest(frame->payload, limits);
    ClientReply reply;
    if (!request.ok()) {
      service_.BadRequest();
      reply.id = SalvageId(frame->payload);
      reply.code = static_cast<uint32_t>(request.status().code());
      reply.message = std::string(
          request.status().message().substr(0, kMaxReplyMessageSize));
    } else {
      reply = service_.Handle(*request, conn->remote());
    }
    std::string payload;
    if (absl::Status s = EncodeReply(reply, &payload); !s.ok()) {
      // A reply the codec refuses (an engine limit above the protocol's):
      // say so instead.
      ClientReply error;
      error.id = reply.id;
      error.code = static_cast<uint32_t>(absl::StatusCode::kInternal);
      error.message = std::string(s.message().substr(0, kMaxReplyMessageSize));
      if (!EncodeReply(error, &payload).ok()) {
        why = s;
        break;
      }
    }
    if (absl::Status s = conn->Send(FrameType::kClientReply, payload);
        !s.ok()) {
      why = s;
      break;
    }
  }
  service_.SessionClosed();
  if (!absl::IsUnavailable(why)) {
    InfoLog(node_->engine().info_log(),
            "cairn clients: session with %s closed: %s",
            conn->remote().c_str(), why.ToString().c_str());
  }
}

replication::ClientHandlerFactory ServeClients(std::shared_ptr<NodeRole> role) {
  return [role](replication::Node* node)
             -> absl::StatusOr<std::unique_ptr<replication::ClientHandler>> {
    return std::make_unique<ClientSessions>(node, role);
  };
}

}  // namespace cairn::cluster
