// Placeholder while the replicator lands (the next commits): a node with
// replication.node_id set fails to open with Unimplemented.
#include "replication/replicator.h"

#include "replication/node.h"

namespace cairn::replication {

class ReplicatorImpl {};

absl::StatusOr<std::unique_ptr<Replicator>> Replicator::Start(
    Db*, const ReplicationOptions&, const ReplicationConfig&) {
  return absl::UnimplementedError("replication is not built yet");
}
Replicator::Replicator(std::unique_ptr<ReplicatorImpl> impl)
    : impl_(std::move(impl)) {}
Replicator::~Replicator() = default;
absl::Status Replicator::AwaitWrite(const ReplicaWrite&, uint64_t) {
  return absl::OkStatus();
}
absl::Status Replicator::AddPeer(std::string_view) {
  return absl::UnimplementedError("not built yet");
}
absl::Status Replicator::RemovePeer(uint32_t) {
  return absl::UnimplementedError("not built yet");
}
absl::Status Replicator::ResyncPeer(uint32_t) {
  return absl::UnimplementedError("not built yet");
}
absl::StatusOr<std::string> Replicator::CompareWithPeers(absl::Duration,
                                                         bool*) {
  return absl::UnimplementedError("not built yet");
}
std::string Replicator::StatusJson() { return "{}"; }
uint16_t Replicator::listen_port() const { return 0; }
void Replicator::Stop() {}

}  // namespace cairn::replication
