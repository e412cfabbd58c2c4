#include "cluster/refusal.h"

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/strings.h"

namespace cairn::cluster {
namespace {

constexpr std::string_view kDoesNotServe = " does not serve: ";
constexpr std::string_view kMasterNode = "(master: node ";

}  // namespace

std::string RefusalMessage(uint32_t node_id, const NodeRole::View& view) {
  return absl::StrCat("node ", node_id, AV(kDoesNotServe),
                      view.why.empty() ? "not master" : view.why,
                      view.master != 0
                          ? absl::StrCat(" ", AV(kMasterNode), view.master, ")")
                          : std::string(" (master: none)"));
}

ClientReply RefusalReply(uint32_t node_id, const ClientRequest& request,
                         const NodeRole::View& view) {
  ClientReply reply;
  reply.id = request.id;
  reply.code = static_cast<uint32_t>(absl::StatusCode::kUnavailable);
  reply.message = RefusalMessage(node_id, view);
  reply.status.node_id = node_id;
  reply.status.serves = false;
  reply.status.master = view.master;
  reply.status.why = view.why;
  return reply;
}

Refusal ParseRefusal(const ClientReply& reply) {
  Refusal r;
  if (reply.code != static_cast<uint32_t>(absl::StatusCode::kUnavailable)) {
    return r;
  }
  const std::string_view m = reply.message;
  if (!reply.status.serves) {
    r.refused = true;
    r.master = reply.status.master;
  }
  if (m.find(kDoesNotServe) != std::string_view::npos) {
    r.refused = true;
    const size_t at = m.rfind(kMasterNode);
    if (r.master == 0 && at != std::string_view::npos) {
      std::string_view rest = m.substr(at + kMasterNode.size());
      rest = rest.substr(0, rest.find(')'));
      uint32_t id = 0;
      if (absl::SimpleAtoi(absl::string_view(rest.data(), rest.size()), &id)) {
        r.master = id;
      }
    }
  }
  return r;
}

}  // namespace cairn::cluster
