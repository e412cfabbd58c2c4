// NodeRole: whether a serving node may accept client operations now. In
// active mode every healthy node serves (AlwaysServes); in standby mode only
// the master does (standby_role.h), and a node that is not master refuses
// with Unavailable naming the master.
#ifndef CAIRN_CLUSTER_NODE_ROLE_H_
#define CAIRN_CLUSTER_NODE_ROLE_H_

#include <cstdint>
#include <string>

namespace cairn::cluster {

class NodeRole {
 public:
  struct View {
    bool serves = true;
    uint32_t master = 0;  // standby: the master this node knows (0: none)
    std::string why;      // when it does not serve
  };
  virtual ~NodeRole() = default;
  // Cheap (called per request). Thread-safe.
  virtual View Current() = 0;
};

class AlwaysServes final : public NodeRole {
 public:
  View Current() override { return View{}; }
};

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_NODE_ROLE_H_
