// Replicator: ships this node's op log to its peers and applies theirs.
//
// One Replicator per replicating Node. It owns
//  - a listener (Boost.Asio TCP) whose inbound connections are peers pushing
//    their op logs here (receiver.h): each batch is applied version-guarded
//    with the sender's cursor in the same LevelDB batch (Db::Apply), then
//    acknowledged;
//  - one Peer per configured peer (peer.h): a task consumer that reads the
//    op log from that peer's cursor and sends ordered batches, pipelined with
//    back-pressure, a resync when the log no longer reaches the cursor,
//    heartbeats and the failure counter/tag of SPEC C3, and anti-entropy;
//  - the sync-mode waiters: a writer blocks in AwaitWrite until enough peers
//    acknowledged its sequence or the deadline passes;
//  - the op-log hold (the slowest peer's cursor, capped by
//    replication.log_retention_mb).
//
// Thread-safe. Stop() (or the destructor) closes every socket and joins
// every thread; the Db must outlive the Replicator.
#ifndef CAIRN_REPLICATION_REPLICATOR_H_
#define CAIRN_REPLICATION_REPLICATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/db.h"
#include "replication/options.h"

namespace cairn::replication {

enum class ReplicationMode : uint8_t;
struct ReplicaWrite;
class ReplicatorImpl;

class Replicator {
 public:
  // Binds the listener and starts a Peer per configured peer.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Replicator>> Start(
      Db* db, const ReplicationOptions& options,
      const ReplicationConfig& config);
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // What a sync write waits for: nothing (async), its peers' apply (in
  // their logs), or their fsync (replication.sync_durability).
  enum class AckWait { kNone, kApplied, kDurable };
  // Around every local write: BeginWrite before the commit says what the
  // write waits for, given its own sync flag (and counts a sync write, so
  // the batches that carry it are acknowledged at once, after an fsync when
  // it waits for one); FinishWrite after it, with the commit's last
  // sequence (0 when the commit failed), returns at once for async writes
  // and otherwise waits until the required peers acknowledged the write
  // (Timeout or Unavailable, naming the peers, past the deadline).
  AckWait BeginWrite(const ReplicaWrite& rw, bool write_sync);
  [[nodiscard]] absl::Status FinishWrite(const ReplicaWrite& rw, AckWait wait,
                                         uint64_t last_sequence);

  [[nodiscard]] absl::Status AddPeer(std::string_view spec);
  [[nodiscard]] absl::Status RemovePeer(uint32_t id);
  [[nodiscard]] absl::Status ResyncPeer(uint32_t id);
  [[nodiscard]] absl::StatusOr<std::string> CompareWithPeers(
      absl::Duration timeout, bool* all_agree);
  // The "cairn.replication" property.
  std::string StatusJson();
  // The port the listener is bound to.
  uint16_t listen_port() const;

  void Stop();

 private:
  explicit Replicator(std::unique_ptr<ReplicatorImpl> impl);
  std::unique_ptr<ReplicatorImpl> impl_;
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_REPLICATOR_H_
