#include "replication/replicator.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/mutex.h"
#include "engine/info_log.h"
#include "engine/strings.h"
#include "nlohmann/json.hpp"
#include "replication/ack_waiters.h"
#include "replication/metadata_codec.h"
#include "replication/node.h"
#include "replication/peer.h"
#include "replication/receiver.h"

namespace cairn::replication {
namespace {

constexpr absl::Duration kMaintenanceTick = absl::Milliseconds(100);
constexpr absl::Duration kPersistInterval = absl::Seconds(1);
constexpr absl::Duration kPurgeInterval = absl::Seconds(1);
constexpr size_t kPurgeBatch = 10000;
constexpr int kHlcLogicalBits = 16;  // engine/version.h HybridClock

std::string AckedName(uint32_t peer) {
  return absl::StrCat("repl.ack.", peer);
}

}  // namespace

class ReplicatorImpl : public PeerHost {
 public:
  ReplicatorImpl(Db* db, const ReplicationOptions& options,
                 const ReplicationConfig& config)
      : db_(db), options_(options), config_(config) {
    handshake_.cluster_id = options.cluster_id;
    handshake_.node_id = static_cast<uint32_t>(options.node_id);
    handshake_.secret = config.secret;
    handshake_.max_frame_payload = static_cast<uint32_t>(
        std::min<uint64_t>(options.max_frame_mb << 20, UINT32_MAX));
    handshake_.timeout = absl::Milliseconds(options.connect_timeout_ms);
  }

  absl::Status Start() {
    db_->SetOpLogHoldCap(options_.log_retention_mb << 20);
    db_->EnableOpLogTail(options_.send_cache_mb << 20);
    Receiver::Config rc;
    rc.handshake = handshake_;
    rc.listen_host = config_.listen_host;
    rc.listen_port = config_.listen_port;
    rc.max_connections = options_.max_connections;
    rc.idle_timeout = std::max(absl::Milliseconds(6 * options_.heartbeat_ms),
                               absl::Seconds(5));
    rc.serve_client = config_.serve_client;
    rc.admit = [this](uint32_t id) -> absl::Status {
      MutexLock lock(&mu_);
      if (peers_.contains(id)) return absl::OkStatus();
      return absl::PermissionDeniedError(absl::StrCat(
          "node ", id, " is not a peer of node ", options_.node_id));
    };
    absl::StatusOr<std::unique_ptr<Receiver>> receiver =
        Receiver::Start(db_, std::move(rc));
    if (!receiver.ok()) return receiver.status();
    receiver_ = std::move(*receiver);
    {
      MutexLock lock(&mu_);
      for (const PeerAddress& p : config_.peers) AddLocked(p, false);
    }
    UpdateHold();
    maintenance_ = std::thread([this] { Maintain(); });
    InfoLog(db_->info_log(),
            "cairn replication: node %u listening on %s:%u with %zu peers",
            static_cast<unsigned>(options_.node_id),
            config_.listen_host.c_str(), receiver_->port(),
            config_.peers.size());
    return absl::OkStatus();
  }

  void Stop() {
    {
      MutexLock lock(&mu_);
      if (stopped_) return;
      stopped_ = true;
      stopped_flag_.store(true);
      stop_cv_.SignalAll();
    }
    if (maintenance_.joinable()) maintenance_.join();
    std::vector<std::shared_ptr<Peer>> peers = Peers();
    for (auto& p : peers) p->Stop();
    if (receiver_ != nullptr) receiver_->Stop();
    PersistAcked();
    ack_waiters_.WakeAll();
  }

  // ---- PeerHost ----
  bool DurableAcksWanted() const override {
    return durable_writers_.load() > 0;
  }
  bool SyncWritersWaiting() const override {
    return sync_writers_.load(std::memory_order_relaxed) > 0;
  }
  void OnAck() override { ack_waiters_.Notify(); }

  using AckWait = Replicator::AckWait;
  AckWait BeginWrite(const ReplicaWrite& rw, bool write_sync) {
    const bool sync =
        rw.mode == ReplicationMode::kSync ||
        (rw.mode == ReplicationMode::kDefault && config_.sync_mode);
    if (!sync) return AckWait::kNone;
    sync_writers_.fetch_add(1);
    if (write_sync || config_.sync_fsync_always) {
      durable_writers_.fetch_add(1);
      return AckWait::kDurable;
    }
    return AckWait::kApplied;
  }

  absl::Status FinishWrite(const ReplicaWrite& rw, AckWait wait, uint64_t seq) {
    if (wait == AckWait::kNone) return absl::OkStatus();
    const bool durable = wait == AckWait::kDurable;
    // A sender gathering writes (max_send_delay_us) sends this one now.
    if (seq != 0) db_->WakeSequenceWaiters();
    absl::Status s = seq == 0 ? absl::OkStatus() : AwaitAcks(rw, durable, seq);
    if (durable) durable_writers_.fetch_sub(1);
    sync_writers_.fetch_sub(1);
    return s;
  }

  // Until `required` peers hold `seq`: applied to their logs, or fsynced
  // there when `durable`.
  absl::Status AwaitAcks(const ReplicaWrite& rw, bool durable, uint64_t seq) {
    auto holds = [&](const std::shared_ptr<Peer>& p) {
      return (durable ? p->durable_acked() : p->acked()) >= seq;
    };
    std::vector<std::shared_ptr<Peer>> peers = Peers();
    const uint32_t n = static_cast<uint32_t>(peers.size());
    uint32_t want = rw.sync_acks == kSyncAcksDefault ? config_.sync_acks
                                                     : rw.sync_acks;
    uint32_t required = want == kSyncAcksAll        ? n
                        : want == kSyncAcksMajority ? (n + 1) / 2
                                                    : want;
    if (required == 0) return absl::OkStatus();
    if (required > n) {
      return absl::UnavailableError(absl::StrCat(
          "write committed and durable locally (sequence ", seq,
          ") but it needs ", required, " acknowledgements and node ",
          options_.node_id, " has ", n, " peers"));
    }
    const absl::Time deadline =
        absl::Now() + absl::Milliseconds(options_.sync_timeout_ms);
    auto enough = [&] {
      uint32_t acked = 0;
      for (const auto& p : peers) acked += holds(p) ? 1 : 0;
      return acked >= required;
    };
    for (;;) {
      uint32_t acked = 0;
      uint32_t available = 0;
      const absl::Time now = absl::Now();
      for (const auto& p : peers) {
        if (holds(p)) {
          ++acked;
          ++available;
        } else if (!p->tagged(now)) {
          ++available;
        }
      }
      if (acked >= required) return absl::OkStatus();
      const bool too_few = available < required;
      if (too_few || now >= deadline || StoppedNoLock()) {
        std::vector<std::string> missing;
        for (const auto& p : peers) {
          if (holds(p)) continue;
          missing.push_back(absl::StrCat(
              p->id(), p->tagged(now) ? " (tagged failed)"
                       : p->up()      ? " (slow)"
                                      : " (not connected)"));
        }
        std::string msg = absl::StrCat(
            "write committed and durable locally (sequence ", seq,
            ") but acknowledged by ", acked, " of ", required,
            " required peers", too_few ? "" : " within the sync timeout",
            "; queued for node(s) ", absl::StrJoin(missing, ", "),
            " — to be backed up when they return");
        if (too_few) return absl::UnavailableError(msg);
        return absl::DeadlineExceededError(msg);
      }
      // Tags and timeouts change without an ack: recount at least every
      // 50 ms.
      ack_waiters_.Wait(enough,
                        std::min(deadline, now + absl::Milliseconds(50)));
    }
  }

  absl::Status AddPeer(std::string_view spec) {
    absl::StatusOr<PeerAddress> p = ParsePeer(spec);
    if (!p.ok()) return p.status();
    if (p->id == options_.node_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "peer '", AV(spec), "' has this node's own id ", options_.node_id));
    }
    MutexLock lock(&mu_);
    if (peers_.contains(p->id)) {
      return absl::AlreadyExistsError(
          absl::StrCat("node ", p->id, " is already a peer"));
    }
    AddLocked(*p, /*force_resync=*/true);
    return absl::OkStatus();
  }

  absl::Status RemovePeer(uint32_t id) {
    std::shared_ptr<Peer> peer;
    {
      MutexLock lock(&mu_);
      auto it = peers_.find(id);
      if (it == peers_.end()) {
        return absl::NotFoundError(absl::StrCat("node ", id, " is not a peer"));
      }
      peer = std::move(it->second);
      peers_.erase(it);
    }
    peer->Stop();
    (void)db_->PutMetadata(WriteOptions(), AckedName(id), EncodeU64(0));
    UpdateHold();
    ack_waiters_.WakeAll();  // sync writers recount
    return absl::OkStatus();
  }

  absl::Status ResyncPeer(uint32_t id) {
    std::shared_ptr<Peer> peer = Find(id);
    if (peer == nullptr) {
      return absl::NotFoundError(absl::StrCat("node ", id, " is not a peer"));
    }
    peer->RequestResync();
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Compare(absl::Duration timeout,
                                      bool* all_agree) {
    nlohmann::ordered_json j;
    j["node_id"] = options_.node_id;
    nlohmann::ordered_json peers = nlohmann::ordered_json::array();
    bool agree = true;
    for (const auto& p : Peers()) {
      nlohmann::ordered_json r;
      // On demand: every record, so "agree" means the nodes hold the same.
      absl::Status s = p->Compare(timeout, /*horizon_hlc=*/0, &r);
      r["id"] = p->id();
      if (!s.ok()) {
        r["agree"] = false;
        r["error"] = std::string(s.message());
      }
      if (!r.value("agree", false)) agree = false;
      peers.push_back(std::move(r));
    }
    j["peers"] = std::move(peers);
    j["agree"] = agree;
    if (all_agree != nullptr) *all_agree = agree;
    return j.dump();
  }

  std::string StatusJson() {
    nlohmann::ordered_json j;
    j["enabled"] = true;
    j["node_id"] = options_.node_id;
    j["cluster_id"] = options_.cluster_id;
    j["mode"] = options_.mode;
    j["sync_acks"] = options_.sync_acks;
    j["listen"] = config_.listen_host;
    j["listen_port"] = receiver_->port();
    j["authenticated"] = !config_.secret.empty();
    j["last_sequence"] = db_->LastSequence();
    j["oplog_first_sequence"] = db_->OpLogFirstSequence();
    const OpLogTail::Stats tail = db_->OpLogTailStats();
    nlohmann::ordered_json cache;
    cache["capacity_bytes"] = tail.capacity_bytes;
    cache["bytes"] = tail.bytes;
    cache["batches"] = tail.batches;
    cache["first_sequence"] = tail.first_sequence;
    cache["hits"] = tail.hits;
    cache["misses"] = tail.misses;
    j["send_cache"] = std::move(cache);
    j["sync_writers_waiting"] = sync_writers_.load();
    j["sync_futile_wakeups"] = ack_waiters_.futile_wakeups();
    j["tombstones_purged"] = tombstones_purged_.load();
    j["tombstone_cutoff_ms"] = tombstone_cutoff_ms_.load();
    j["refused_connections"] = receiver_->refused_connections();
    j["bad_frames"] = receiver_->bad_frames();
    absl::flat_hash_map<uint32_t, Receiver::SenderStats> inbound =
        receiver_->Stats();
    nlohmann::ordered_json peers = nlohmann::ordered_json::array();
    for (const auto& p : Peers()) {
      nlohmann::ordered_json pj = p->StatusJson();
      auto it = inbound.find(p->id());
      nlohmann::ordered_json in;
      if (it != inbound.end()) {
        in["connected"] = it->second.connected;
        in["applied_sequence"] = it->second.applied_sequence;
        in["batches"] = it->second.batches;
        in["ops_applied"] = it->second.ops_applied;
        in["ops_skipped"] = it->second.ops_skipped;
        in["connections"] = it->second.connections;
        in["resyncing"] = it->second.resyncing;
      } else {
        in["connected"] = false;
      }
      pj["inbound"] = std::move(in);
      peers.push_back(std::move(pj));
    }
    j["peers"] = std::move(peers);
    return j.dump();
  }

  uint16_t listen_port() const { return receiver_->port(); }

 private:
  void AddLocked(const PeerAddress& p, bool force_resync)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto peer = std::make_shared<Peer>(db_, p, options_, config_, handshake_,
                                       this, force_resync);
    // What the peer acknowledged before a restart: the log is held from
    // there until it reconnects and tells its own cursor.
    absl::StatusOr<std::string> acked = db_->GetMetadata(AckedName(p.id));
    uint64_t v = 0;
    if (acked.ok() && acked->size() == 8 && DecodeU64(*acked, &v)) {
      peer->SeedAcked(v);
    }
    peer->Start();
    peers_[p.id] = std::move(peer);
  }

  std::vector<std::shared_ptr<Peer>> Peers() {
    MutexLock lock(&mu_);
    std::vector<std::shared_ptr<Peer>> out;
    for (auto& [id, p] : peers_) out.push_back(p);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a->id() < b->id(); });
    return out;
  }

  std::shared_ptr<Peer> Find(uint32_t id) {
    MutexLock lock(&mu_);
    auto it = peers_.find(id);
    return it == peers_.end() ? nullptr : it->second;
  }

  bool StoppedNoLock() {
    // Read without mu_: a stale answer only delays a sync writer by a tick.
    return stopped_flag_.load();
  }

  // The versions a periodic comparison covers: those older than
  // replication.digest_horizon_ms (0: every one).
  uint64_t DigestHorizon() const {
    const uint64_t age = options_.digest_horizon_ms;
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    if (age == 0 || now_ms <= 0 || static_cast<uint64_t>(now_ms) <= age) {
      return 0;
    }
    return (static_cast<uint64_t>(now_ms) - age) << HybridClock::kLogicalBits;
  }

  // Holds the op log from the slowest peer's position (capped by the
  // retention option in the engine).
  void UpdateHold() {
    std::vector<std::shared_ptr<Peer>> peers = Peers();
    if (peers.empty()) {
      db_->ClearOpLogHold();
      return;
    }
    uint64_t from = UINT64_MAX;
    for (const auto& p : peers) from = std::min(from, p->hold_from());
    if (absl::Status s = db_->SetOpLogHold(from); absl::IsOutOfRange(s)) {
      // Already trimmed past the slowest peer (it will be resynced): hold
      // what is left.
      (void)db_->SetOpLogHold(db_->OpLogFirstSequence());
    }
  }

  void PersistAcked() {
    for (const auto& p : Peers()) {
      uint64_t a = p->acked();
      auto it = persisted_.find(p->id());
      if (it != persisted_.end() && it->second == a) continue;
      if (db_->PutMetadata(WriteOptions(), AckedName(p->id()), EncodeU64(a))
              .ok()) {
        persisted_[p->id()] = a;
      }
    }
  }

  // Tombstone collection: purges tombstones older than the grace period
  // that every peer has acknowledged (Peer::safe_ms), so a peer that was
  // down across the purge still receives the delete first.
  void CollectTombstones() {
    const uint64_t now_ms =
        static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
    if (now_ms <= options_.tombstone_grace_ms) return;
    uint64_t cutoff_ms = now_ms - options_.tombstone_grace_ms;
    for (const auto& p : Peers()) cutoff_ms = std::min(cutoff_ms, p->safe_ms());
    if (cutoff_ms == 0) return;
    absl::StatusOr<uint64_t> purged =
        db_->PurgeTombstones(cutoff_ms << kHlcLogicalBits, kPurgeBatch);
    if (purged.ok()) {
      tombstones_purged_.fetch_add(*purged);
    } else {
      InfoLog(db_->info_log(), "cairn replication: tombstone purge: %s",
              purged.status().ToString().c_str());
    }
    tombstone_cutoff_ms_.store(cutoff_ms);
  }

  void Maintain() {
    absl::Time next_purge = absl::Now() + kPurgeInterval;
    absl::Time next_persist = absl::Now() + kPersistInterval;
    const absl::Duration digest_every =
        absl::Milliseconds(options_.digest_interval_ms);
    absl::Time next_digest = absl::Now() + digest_every;
    for (;;) {
      {
        MutexLock lock(&mu_);
        stop_cv_.WaitWithTimeout(&mu_, kMaintenanceTick);
        if (stopped_) {
          stopped_flag_.store(true);
          return;
        }
      }
      UpdateHold();
      const absl::Time now = absl::Now();
      if (now >= next_persist) {
        PersistAcked();
        next_persist = now + kPersistInterval;
      }
      if (now >= next_purge) {
        CollectTombstones();
        next_purge = absl::Now() + kPurgeInterval;
      }
      if (options_.digest_interval_ms > 0 && now >= next_digest) {
        // Anti-entropy: compare with every connected peer and push what
        // differs (the peer does the same the other way).
        const absl::Time started = absl::Now();
        const absl::flat_hash_map<uint32_t, Receiver::SenderStats> inbound =
            receiver_->Stats();
        for (const auto& p : Peers()) {
          // Only while both hold what the other had: while either catches
          // up every bucket differs, and pushing them all would resend the
          // database. So the peer has acknowledged everything sent to it,
          // and this node has applied the peer's log up to the sequence
          // its last heartbeat reply reported.
          if (!p->up() || p->acked() < db_->LastSequence()) continue;
          const std::optional<uint64_t> theirs = p->peer_last_sequence();
          auto in = inbound.find(p->id());
          if (!theirs.has_value() || in == inbound.end() ||
              in->second.applied_sequence < *theirs) {
            continue;
          }
          nlohmann::ordered_json r;
          (void)p->Compare(absl::Seconds(10), DigestHorizon(), &r);
        }
        // A digest walks every key on both nodes: on a large database the
        // interval stretches so that comparisons take at most ~5% of the
        // time.
        const absl::Time done = absl::Now();
        next_digest = done + std::max(digest_every, 20 * (done - started));
      }
    }
  }

  Db* const db_;
  const ReplicationOptions options_;
  const ReplicationConfig config_;
  HandshakeConfig handshake_;
  std::unique_ptr<Receiver> receiver_;
  std::thread maintenance_;
  std::atomic<int64_t> sync_writers_{0};     // sync writes waiting
  std::atomic<int64_t> durable_writers_{0};  // of them, for an fsync
  std::atomic<bool> stopped_flag_{false};
  std::atomic<uint64_t> tombstones_purged_{0};
  std::atomic<uint64_t> tombstone_cutoff_ms_{0};
  absl::flat_hash_map<uint32_t, uint64_t> persisted_;  // maintenance only

  Mutex mu_;
  CondVar stop_cv_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint32_t, std::shared_ptr<Peer>> peers_
      ABSL_GUARDED_BY(mu_);

  AckWaiters ack_waiters_;  // sync writers in AwaitAcks
};

absl::StatusOr<std::unique_ptr<Replicator>> Replicator::Start(
    Db* db, const ReplicationOptions& options,
    const ReplicationConfig& config) {
  auto impl = std::make_unique<ReplicatorImpl>(db, options, config);
  if (absl::Status s = impl->Start(); !s.ok()) return s;
  return std::unique_ptr<Replicator>(new Replicator(std::move(impl)));
}

Replicator::Replicator(std::unique_ptr<ReplicatorImpl> impl)
    : impl_(std::move(impl)) {}
Replicator::~Replicator() { Stop(); }

Replicator::AckWait Replicator::BeginWrite(const ReplicaWrite& rw,
                                           bool write_sync) {
  return impl_->BeginWrite(rw, write_sync);
}
absl::Status Replicator::FinishWrite(const ReplicaWrite& rw, AckWait wait,
                                     uint64_t last_sequence) {
  return impl_->FinishWrite(rw, wait, last_sequence);
}
absl::Status Replicator::AddPeer(std::string_view spec) {
  return impl_->AddPeer(spec);
}
absl::Status Replicator::RemovePeer(uint32_t id) {
  return impl_->RemovePeer(id);
}
absl::Status Replicator::ResyncPeer(uint32_t id) {
  return impl_->ResyncPeer(id);
}
absl::StatusOr<std::string> Replicator::CompareWithPeers(
    absl::Duration timeout, bool* all_agree) {
  return impl_->Compare(timeout, all_agree);
}
std::string Replicator::StatusJson() { return impl_->StatusJson(); }
uint16_t Replicator::listen_port() const { return impl_->listen_port(); }
void Replicator::Stop() {
  if (impl_ != nullptr) impl_->Stop();
}

}  // namespace cairn::replication
