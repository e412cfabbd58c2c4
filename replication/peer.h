// Peer: this node's side of replication towards one peer — the task consumer
// of SPEC C5 for that peer.
//
// A thread connects (capped exponential back-off), shakes hands and learns
// the peer's receive cursor, then reads the op log from the cursor and sends
// ordered batches (whole write batches, superseded operations and what came
// from the peer itself left out), several in flight, bounded by
// replication.inflight_max_batches/bytes (back-pressure: it waits for
// acknowledgements). A second thread per connection reads acknowledgements,
// heartbeat replies and digest replies. When the log no longer reaches the
// cursor (retention trimmed it), or on request, the peer gets a full resync:
// a throttled snapshot stream, resumable by key, applied version-guarded,
// after which the log is replayed from the snapshot's sequence (held until
// then, so a resync never loops).
//
// Failure detection is SPEC C3 (failure_detector.h): failed connects,
// sends, bad replies and missed heartbeat replies count; a good reply clears.
//
// Thread-safe. Stop() joins both threads.
#ifndef CAIRN_REPLICATION_PEER_H_
#define CAIRN_REPLICATION_PEER_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/mutex.h"
#include "absl/time/time.h"
#include "engine/db.h"
#include "nlohmann/json.hpp"
#include "replication/connection.h"
#include "replication/failure_detector.h"
#include "replication/options.h"

namespace cairn::replication {

// What a Peer needs from the replicator that owns it.
class PeerHost {
 public:
  virtual ~PeerHost() = default;
  // A sync writer waits for an fsync: batches are applied durably (the
  // receiver syncs its log before it acknowledges).
  virtual bool DurableAcksWanted() const = 0;
  // Sync writers are waiting for acknowledgements: the sender keeps one
  // batch in flight, so what they commit meanwhile travels together in the
  // next (group commit across the link) instead of a batch each.
  virtual bool SyncWritersWaiting() const = 0;
  // An acknowledgement arrived (wakes sync writers).
  virtual void OnAck() = 0;
};

class Peer {
 public:
  Peer(Db* db, PeerAddress address, const ReplicationOptions& options,
       const ReplicationConfig& config, HandshakeConfig handshake,
       PeerHost* host, bool force_resync);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  // Before Start(): what the peer acknowledged before a restart.
  void SeedAcked(uint64_t acked) {
    acked_.store(acked);
    durable_acked_.store(acked);
  }
  void Start();
  void Stop();

  uint32_t id() const { return address_.id; }
  const PeerAddress& address() const { return address_; }
  // Every operation up to it is applied on the peer (durably).
  uint64_t acked() const { return acked_.load(std::memory_order_acquire); }
  uint64_t durable_acked() const {
    return durable_acked_.load(std::memory_order_acquire);
  }
  // The oldest op-log sequence this peer still needs (for the log hold).
  uint64_t hold_from() const;
  bool tagged(absl::Time now) { return detector_.IsTagged(now); }
  // Every tombstone this node holds whose version is older than this
  // (physical milliseconds) has been acknowledged by the peer; 0 until
  // the first probe is acknowledged (tombstone collection waits for it).
  uint64_t safe_ms() const { return safe_ms_.load(); }
  bool up() const { return up_.load(); }
  // The peer's newest op-log sequence as its last heartbeat reply told;
  // nullopt until one arrived.
  std::optional<uint64_t> peer_last_sequence() const ABSL_LOCKS_EXCLUDED(mu_);

  // Starts a full resync at the next opportunity (reconnects now).
  void RequestResync();
  // Compares digests with the peer over the records whose versions are
  // below `horizon_hlc` (0: every record) and pushes those of differing
  // buckets. Fills `report` (agree, differing_buckets, records_pushed).
  [[nodiscard]] absl::Status Compare(absl::Duration timeout,
                                     uint64_t horizon_hlc,
                                     nlohmann::ordered_json* report);
  // The peer's entry of the "cairn.replication" property.
  nlohmann::ordered_json StatusJson() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct InFlight {
    uint64_t last_sequence;
    size_t bytes;
    absl::Time sent;
  };

  void Run();
  // One connection's life: stream until it fails or Stop().
  absl::Status Stream(Connection* conn, const ReceiveCursor& cursor);
  // Full resync; returns the sequence to continue the log from.
  absl::StatusOr<uint64_t> Resync(Connection* conn, const ReceiveCursor& cursor);
  void ReadReplies(Connection* conn);
  // Moves safe_ms_ past every probe the peer's acknowledgement covers.
  void AdvanceProbes() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // No room for another batch in flight (one while sync writers wait).
  bool PipelineFullLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A quarter of batch_max_ops (at least 1): fewer ops than this wait for
  // the batch in flight (coalescing) or for more writes (gathering).
  uint64_t QuarterBatch() const {
    return std::max<uint64_t>(1, options_.batch_max_ops / 4);
  }
  // The snapshot a sender behind the in-memory tail reads the op log at.
  struct LogView {
    std::shared_ptr<Snapshot> snapshot;
    absl::Time taken;
  };
  absl::Status SendBatch(Connection* conn, uint64_t* next, LogView* view);
  void MaybeHeartbeat(Connection* conn) ABSL_LOCKS_EXCLUDED(mu_);
  // Sleeps up to `d` unless stopping; false once stopping.
  bool SleepFor(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);
  void Failed(const absl::Status& why) ABSL_LOCKS_EXCLUDED(mu_);
  void ApplyPolicy(uint64_t* next) ABSL_LOCKS_EXCLUDED(mu_);

  Db* const db_;
  const PeerAddress address_;
  const ReplicationOptions options_;
  const ReplicationConfig config_;
  const HandshakeConfig handshake_;
  PeerHost* const host_;
  FailureDetector detector_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> up_{false};
  std::atomic<bool> resyncing_{false};
  std::atomic<uint64_t> acked_{0};
  std::atomic<uint64_t> durable_acked_{0};
  std::atomic<uint64_t> resync_from_{0};  // while resyncing: hold from +1
  std::atomic<uint64_t> safe_ms_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> batches_sent_{0};
  std::atomic<uint64_t> ops_sent_{0};
  std::thread thread_;

  mutable Mutex mu_;
  CondVar cv_;  // acks, stop, resync requests
  std::deque<InFlight> inflight_ ABSL_GUARDED_BY(mu_);
  size_t inflight_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool force_resync_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<Connection> conn_ ABSL_GUARDED_BY(mu_);  // the live one
  bool conn_broken_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t skip_to_ ABSL_GUARDED_BY(mu_) = 0;  // failed_task_policy
  uint64_t discarded_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t resyncs_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t resyncs_resumed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t reconnects_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t coalesced_waits_ ABSL_GUARDED_BY(mu_) = 0;
  // Waits for the log that let writes gather (max_send_delay_us).
  uint64_t gathered_waits_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  absl::Time caught_up_at_ ABSL_GUARDED_BY(mu_);
  // Heartbeats.
  uint64_t hb_next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t hb_outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // id, 0 when none
  absl::Time hb_sent_ ABSL_GUARDED_BY(mu_);
  absl::Duration rtt_ ABSL_GUARDED_BY(mu_);
  uint64_t peer_last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  bool peer_last_known_ ABSL_GUARDED_BY(mu_) = false;
  // Tombstone-collection probes: (LastSequence() at a moment, that moment
  // minus a margin for writes between their version and their commit).
  struct Probe {
    uint64_t sequence;
    uint64_t ms;
  };
  std::deque<Probe> probes_ ABSL_GUARDED_BY(mu_);
  // Digest replies by request id.
  uint64_t digest_next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::optional<DigestReply>> digests_
      ABSL_GUARDED_BY(mu_);
  nlohmann::ordered_json last_compare_ ABSL_GUARDED_BY(mu_);
  absl::Time last_compare_at_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_PEER_H_
