#include "replication/peer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/info_log.h"
#include "engine/strings.h"
#include "replication/digest.h"

namespace cairn::replication {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(10);
// A version is assigned before its write commits: a write older than this
// margin at a probe has committed by then.
constexpr uint64_t kProbeMarginMs = 1000;
// A sender reading the op log (behind the in-memory tail) reuses its
// snapshot for this long: taking one waits for a gap between commits, which
// per batch slowed both the replay and the writers. Renewed after it, so a
// long replay does not keep LevelDB from dropping what the writes since
// have overwritten.
constexpr absl::Duration kLogViewLifetime = absl::Milliseconds(100);

size_t OpBytes(const ShippedOp& op) { return op.key.size() + op.value.size() + 24; }

}  // namespace

Peer::Peer(Db* db, PeerAddress address, const ReplicationOptions& options,
           const ReplicationConfig& config, HandshakeConfig handshake,
           PeerHost* host, bool force_resync)
    : db_(db),
      address_(std::move(address)),
      options_(options),
      config_(config),
      handshake_(std::move(handshake)),
      host_(host),
      detector_(options.failure_threshold,
                absl::Milliseconds(options.tag_validity_ms)) {
  MutexLock lock(&mu_);
  force_resync_ = force_resync;
  caught_up_at_ = absl::Now();
}

Peer::~Peer() { Stop(); }

void Peer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Peer::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_.store(true);
    if (conn_ != nullptr) conn_->Shutdown();
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

uint64_t Peer::hold_from() const {
  uint64_t from = acked() + 1;
  if (resyncing_.load()) from = std::min(from, resync_from_.load() + 1);
  MutexLock lock(&mu_);
  return std::max(from, skip_to_);
}

std::optional<uint64_t> Peer::peer_last_sequence() const {
  MutexLock lock(&mu_);
  if (!peer_last_known_) return std::nullopt;
  return peer_last_sequence_;
}

void Peer::RequestResync() {
  MutexLock lock(&mu_);
  force_resync_ = true;
  if (conn_ != nullptr) conn_->Shutdown();
  cv_.SignalAll();
}

bool Peer::SleepFor(absl::Duration d) {
  MutexLock lock(&mu_);
  const absl::Time deadline = absl::Now() + d;
  while (!stopping_.load()) {
    if (cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return !stopping_.load();
}

void Peer::Failed(const absl::Status& why) {
  detector_.RecordFailure(absl::Now());
  MutexLock lock(&mu_);
  ++consecutive_failures_;
  last_error_ = std::string(why.message());
}

void Peer::ApplyPolicy(uint64_t* next) {
  MutexLock lock(&mu_);
  const uint64_t last = db_->LastSequence();
  bool give_up = false;
  if (config_.discard_failed) {
    give_up = detector_.IsTagged(absl::Now());
  } else if (config_.retry_limit > 0) {
    give_up = consecutive_failures_ >= config_.retry_limit;
  }
  if (give_up && last + 1 > skip_to_) {
    const uint64_t from = std::max(*next, std::max(acked() + 1, skip_to_));
    if (last + 1 > from) discarded_ += last + 1 - from;
    skip_to_ = last + 1;
  }
  if (next != nullptr) *next = std::max(*next, skip_to_);
}

void Peer::Run() {
  absl::Duration backoff = kFirstBackoff;
  const absl::Duration max_backoff =
      absl::Milliseconds(options_.reconnect_max_ms);
  while (!stopping_.load()) {
    // Shared: a digest comparison on another thread may still be sending on
    // it when this loop drops the link.
    absl::StatusOr<std::shared_ptr<Connection>> conn =
        Connection::Connect(address_.host, address_.port,
                            absl::Milliseconds(options_.connect_timeout_ms));
    absl::StatusOr<Welcome> welcome =
        absl::UnavailableError("not connected");
    if (!conn.ok()) {
      welcome = conn.status();
    } else {
      {
        MutexLock lock(&mu_);
        if (stopping_.load()) break;
        conn_ = *conn;
        conn_broken_ = false;
      }
      welcome = (*conn)->ClientHandshake(handshake_, Role::kPeer, address_.id);
    }
    if (!welcome.ok()) {
      Failed(welcome.status());
      {
        MutexLock lock(&mu_);
        conn_ = nullptr;
      }
      uint64_t next = 0;
      ApplyPolicy(&next);
      if (!SleepFor(backoff)) break;
      backoff = std::min(backoff * 2, max_backoff);
      continue;
    }
    detector_.RecordSuccess(absl::Now());
    {
      MutexLock lock(&mu_);
      consecutive_failures_ = 0;
      ++reconnects_;
      hb_outstanding_ = 0;
    }
    backoff = kFirstBackoff;
    up_.store(true);
    std::thread reader([this, c = conn->get()] { ReadReplies(c); });
    absl::Status s = Stream(conn->get(), welcome->cursor);
    up_.store(false);
    (*conn)->Shutdown();
    reader.join();
    {
      MutexLock lock(&mu_);
      conn_ = nullptr;
      inflight_.clear();
      inflight_bytes_ = 0;
      cv_.SignalAll();
    }
    resyncing_.store(false);
    if (stopping_.load()) break;
    Failed(s);
    InfoLog(db_->info_log(), "cairn replication: link to node %u (%s) lost: %s",
            address_.id, address_.ToString().c_str(), s.ToString().c_str());
    if (!SleepFor(backoff)) break;
  }
  up_.store(false);
}

absl::Status Peer::Stream(Connection* conn, const ReceiveCursor& cursor) {
  // The receiver's cursor is the truth: it moves with what it applied.
  acked_.store(cursor.applied, std::memory_order_release);
  durable_acked_.store(cursor.applied, std::memory_order_release);
  uint64_t next = cursor.applied + 1;
  bool force;
  {
    MutexLock lock(&mu_);
    force = force_resync_;
  }
  const bool trimmed = next < db_->OpLogFirstSequence();
  if (force || cursor.resync_in_progress || trimmed) {
    absl::StatusOr<uint64_t> resumed = Resync(conn, cursor);
    if (!resumed.ok()) return resumed.status();
    next = *resumed;
  }
  ApplyPolicy(&next);
  absl::Time last_heartbeat = absl::Now();
  LogView view;
  uint64_t kicks = 0;           // sync writers' kicks seen (WaitForSequence)
  bool writes_flowing = false;  // the last wait for the log found writes
  while (!stopping_.load()) {
    {
      MutexLock lock(&mu_);
      if (force_resync_) return absl::AbortedError("resync requested");
      if (conn_broken_) return absl::UnavailableError(last_error_);
      // Back-pressure: wait while the pipeline is full.
      const absl::Time until =
          absl::Now() + absl::Milliseconds(options_.heartbeat_ms);
      while (!stopping_.load() && !conn_broken_ && PipelineFullLocked()) {
        if (cv_.WaitWithDeadline(&mu_, until)) break;
      }
      if (conn_broken_) return absl::UnavailableError(last_error_);
    }
    if (absl::Now() - last_heartbeat >=
        absl::Milliseconds(options_.heartbeat_ms)) {
      MaybeHeartbeat(conn);
      last_heartbeat = absl::Now();
    }
    {
      MutexLock lock(&mu_);
      if (PipelineFullLocked()) continue;
      // Coalescing (as Nagle's algorithm does for TCP segments): while a
      // batch is in flight, a small one waits for its acknowledgement and
      // leaves with what was written meanwhile. One batch per round trip
      // instead of one per write, so the peer applies, and the writer wakes
      // the sender, once per round trip. A quarter of a batch or more leaves
      // at once (write batches are never split, so large ones may never
      // fill a batch), and a fast writer stays pipelined.
      const uint64_t last = db_->LastSequence();
      if (options_.coalesce && !inflight_.empty() && last >= next &&
          last - next + 1 < QuarterBatch()) {
        ++coalesced_waits_;
        (void)cv_.WaitWithDeadline(
            &mu_, absl::Now() + absl::Milliseconds(std::min<uint64_t>(
                                    options_.heartbeat_ms, 200)));
        continue;
      }
    }
    ApplyPolicy(&next);
    if (db_->LastSequence() < next) {
      // Gathering: while writes keep coming (the last wait found some), an
      // asynchronous sender waits for a quarter batch or max_send_delay_us
      // instead of being woken by each commit, which would cost every
      // writer a cross-core wake-up. After a pause (a gathering wait that
      // found nothing) it waits for the next commit again, so a lone write
      // leaves at once; a sync writer kicks it (Replicator::FinishWrite).
      const bool gather = options_.max_send_delay_us > 0 && writes_flowing &&
                          !host_->SyncWritersWaiting();
      const uint64_t want = gather ? next + QuarterBatch() - 1 : next;
      const absl::Time now = absl::Now();
      // Either wait ends in time for the next heartbeat.
      const absl::Time until =
          gather ? std::min(now + absl::Microseconds(options_.max_send_delay_us),
                            last_heartbeat +
                                absl::Milliseconds(options_.heartbeat_ms))
                 : now + absl::Milliseconds(
                             std::min<uint64_t>(options_.heartbeat_ms, 200));
      if (gather) {
        MutexLock lock(&mu_);
        ++gathered_waits_;
      }
      db_->WaitForSequence(want, until, &kicks);
      writes_flowing = db_->LastSequence() >= next;
      continue;
    }
    if (absl::Status s = SendBatch(conn, &next, &view); !s.ok()) {
      if (absl::IsOutOfRange(s)) {
        // Retention trimmed past us while we were behind: resync.
        ReceiveCursor fresh;
        fresh.applied = next - 1;
        absl::StatusOr<uint64_t> resumed = Resync(conn, fresh);
        if (!resumed.ok()) return resumed.status();
        next = *resumed;
        continue;
      }
      return s;
    }
  }
  return absl::CancelledError("stopping");
}

bool Peer::PipelineFullLocked() const {
  const uint64_t max_batches =
      host_->SyncWritersWaiting() ? 1 : options_.inflight_max_batches;
  return inflight_.size() >= max_batches ||
         inflight_bytes_ >= options_.inflight_max_bytes;
}

absl::Status Peer::SendBatch(Connection* conn, uint64_t* next,
                             LogView* view) {
  // What was just written comes from the in-memory tail; older entries
  // (a replay) are read from the log at a snapshot, with their values.
  absl::StatusOr<std::vector<OpLogBatch>> batches{std::vector<OpLogBatch>()};
  if (db_->ReadOpLogTail(*next, options_.batch_max_ops, &*batches)) {
    view->snapshot.reset();
  } else {
    const absl::Time now = absl::Now();
    if (view->snapshot == nullptr || *next > view->snapshot->sequence() ||
        now - view->taken > kLogViewLifetime) {
      view->snapshot.reset();
      absl::StatusOr<std::shared_ptr<Snapshot>> snap = db_->GetSnapshot();
      if (!snap.ok()) return snap.status();
      view->snapshot = std::move(*snap);
      view->taken = now;
    }
    // What goes back to the peer is dropped below: its values are not read.
    batches = db_->ReadOpLogAt(*view->snapshot, *next, options_.batch_max_ops,
                               address_.id);
    if (!batches.ok()) return batches.status();
  }
  if (batches->empty()) return absl::OkStatus();
  OpBatch out;
  out.first_sequence = *next;
  size_t bytes = 0;
  for (OpLogBatch& b : *batches) {
    if (b.ops.empty()) continue;
    size_t batch_bytes = 0;
    for (const ShippedOp& op : b.ops) batch_bytes += OpBytes(op);
    // Whole write batches only; a batch larger than the cap goes alone.
    if (!out.ops.empty() && bytes + batch_bytes > options_.batch_max_bytes) {
      break;
    }
    bytes += batch_bytes;
    for (ShippedOp& op : b.ops) {
      if (op.superseded) continue;
      // Never back to where it came from.
      if (b.source == address_.id || op.version.node == address_.id) continue;
      WireOp w;
      w.kind = op.kind;
      w.version = op.version;
      w.key = std::move(op.key);
      w.value = std::move(op.value);
      out.ops.push_back(std::move(w));
    }
    out.last_sequence = b.ops.back().sequence;
    if (bytes >= options_.batch_max_bytes) break;
  }
  if (out.last_sequence == 0) return absl::OkStatus();
  out.sync = host_->DurableAcksWanted();
  std::string payload = EncodeOpBatch(out);
  {
    MutexLock lock(&mu_);
    inflight_.push_back({out.last_sequence, payload.size(), absl::Now()});
    inflight_bytes_ += payload.size();
  }
  if (absl::Status s = conn->Send(FrameType::kOpBatch, payload); !s.ok()) {
    return s;
  }
  bytes_sent_.fetch_add(payload.size(), std::memory_order_relaxed);
  batches_sent_.fetch_add(1, std::memory_order_relaxed);
  ops_sent_.fetch_add(out.ops.size(), std::memory_order_relaxed);
  *next = out.last_sequence + 1;
  return absl::OkStatus();
}

void Peer::MaybeHeartbeat(Connection* conn) {
  Heartbeat hb;
  bool missed = false;
  {
    MutexLock lock(&mu_);
    const absl::Duration interval = absl::Milliseconds(options_.heartbeat_ms);
    if (hb_outstanding_ != 0 &&
        absl::Now() - hb_sent_ > std::max(2 * interval, absl::Seconds(1))) {
      // No reply in time: a failed heartbeat (SPEC C3); send another.
      hb_outstanding_ = 0;
      missed = true;
    }
    if (probes_.size() < 64) {
      const uint64_t now_ms =
          static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
      probes_.push_back({db_->LastSequence(),
                         now_ms > kProbeMarginMs ? now_ms - kProbeMarginMs : 0});
      AdvanceProbes();
    }
    if (hb_outstanding_ == 0) {
      hb.id = hb_next_id_++;
      hb_outstanding_ = hb.id;
      hb_sent_ = absl::Now();
    }
  }
  if (missed) detector_.RecordFailure(absl::Now());
  if (hb.id == 0) return;
  hb.sender_time_ms = static_cast<uint64_t>(absl::ToUnixMillis(absl::Now()));
  hb.last_sequence = db_->LastSequence();
  if (absl::Status s = conn->Send(FrameType::kHeartbeat, EncodeHeartbeat(hb));
      !s.ok()) {
    MutexLock lock(&mu_);
    conn_broken_ = true;
    last_error_ = std::string(s.message());
    cv_.SignalAll();
  }
}

void Peer::AdvanceProbes() {
  const uint64_t acked = acked_.load();
  while (!probes_.empty() && probes_.front().sequence <= acked) {
    safe_ms_.store(std::max(safe_ms_.load(), probes_.front().ms));
    probes_.pop_front();
  }
}

void Peer::ReadReplies(Connection* conn) {
  absl::Status why;
  while (!stopping_.load()) {
    absl::StatusOr<Frame> frame = conn->Receive(
        absl::Now() + std::max(absl::Milliseconds(4 * options_.heartbeat_ms),
                               absl::Seconds(5)));
    if (!frame.ok()) {
      why = frame.status();
      break;
    }
    if (frame->type == FrameType::kAck) {
      absl::StatusOr<Ack> ack = DecodeAck(frame->payload);
      if (!ack.ok()) {
        why = ack.status();
        break;
      }
      if (ack->applied != 0) {
        uint64_t prev = acked_.load();
        while (ack->applied > prev &&
               !acked_.compare_exchange_weak(prev, ack->applied)) {
        }
        if (ack->durable) {
          uint64_t d = durable_acked_.load();
          while (ack->applied > d &&
                 !durable_acked_.compare_exchange_weak(d, ack->applied)) {
          }
        }
        MutexLock lock(&mu_);
        AdvanceProbes();
        while (!inflight_.empty() &&
               inflight_.front().last_sequence <= ack->applied) {
          inflight_bytes_ -= inflight_.front().bytes;
          inflight_.pop_front();
        }
        // Everything sent is acknowledged: not behind (lag_ms counts from
        // here while new writes wait to be sent).
        if (inflight_.empty()) caught_up_at_ = absl::Now();
        cv_.SignalAll();
      }
      detector_.RecordSuccess(absl::Now());
      host_->OnAck();
    } else if (frame->type == FrameType::kHeartbeatReply) {
      absl::StatusOr<Heartbeat> hb = DecodeHeartbeat(frame->payload);
      if (!hb.ok()) {
        why = hb.status();
        break;
      }
      {
        MutexLock lock(&mu_);
        if (hb->id == hb_outstanding_) {
          hb_outstanding_ = 0;
          rtt_ = absl::Now() - hb_sent_;
        }
        peer_last_sequence_ = hb->last_sequence;
        peer_last_known_ = true;
        AdvanceProbes();
      }
      detector_.RecordSuccess(absl::Now());
    } else if (frame->type == FrameType::kDigestReply) {
      absl::StatusOr<DigestReply> d = DecodeDigestReply(frame->payload);
      if (!d.ok()) {
        why = d.status();
        break;
      }
      MutexLock lock(&mu_);
      auto it = digests_.find(d->id);
      if (it != digests_.end()) it->second = std::move(*d);
      cv_.SignalAll();
    } else if (frame->type == FrameType::kError) {
      absl::StatusOr<ErrorFrame> e = DecodeError(frame->payload);
      why = absl::UnavailableError(absl::StrCat(
          "node ", address_.id, " closed the link: ",
          e.ok() ? e->reason : "(bad reason)"));
      break;
    } else {
      why = absl::InvalidArgumentError(absl::StrCat(
          "unexpected frame type ", static_cast<int>(frame->type),
          " from node ", address_.id));
      conn->Fail(SV(why.message()));
      break;
    }
  }
  MutexLock lock(&mu_);
  conn_broken_ = true;
  if (!why.ok()) last_error_ = std::string(why.message());
  conn->Shutdown();
  cv_.SignalAll();
}

absl::StatusOr<uint64_t> Peer::Resync(Connection* conn,
                                      const ReceiveCursor& cursor) {
  resyncing_.store(true);
  {
    MutexLock lock(&mu_);
    ++resyncs_;
  }
  absl::StatusOr<std::shared_ptr<Snapshot>> snap = db_->GetSnapshot();
  if (!snap.ok()) return snap.status();
  bool force;
  {
    // A forced resync starts over once; if it is interrupted, the next
    // connection resumes it from the receiver's progress.
    MutexLock lock(&mu_);
    force = force_resync_;
    force_resync_ = false;
  }
  // Resume where the last attempt stopped if the log still reaches back to
  // its start; otherwise start over at this snapshot.
  const bool resume = !force && cursor.resync_in_progress &&
                      cursor.resync_from + 1 >= db_->OpLogFirstSequence();
  const uint64_t from = resume ? cursor.resync_from : (*snap)->sequence();
  if (resume) {
    MutexLock lock(&mu_);
    ++resyncs_resumed_;
  }
  std::string key = resume ? cursor.resync_resume_key : std::string();
  resync_from_.store(from);
  // Hold the log from the snapshot's sequence on while the stream runs (the
  // replicator's maintenance moves the hold; do it now as well).
  if (absl::Status s = db_->SetOpLogHold(from + 1);
      !s.ok() && !absl::IsOutOfRange(s)) {
    return s;
  }
  InfoLog(db_->info_log(),
          "cairn replication: resync of node %u from sequence %llu%s",
          address_.id, static_cast<unsigned long long>(from),
          resume ? " (resumed)" : "");
  const double rate = static_cast<double>(options_.resync_rate_mb) * 1048576.0;
  const absl::Time started = absl::Now();
  uint64_t streamed = 0;
  for (;;) {
    if (stopping_.load()) return absl::CancelledError("stopping");
    {
      MutexLock lock(&mu_);
      if (conn_broken_) return absl::UnavailableError(last_error_);
    }
    absl::StatusOr<RecordScan> scan = db_->ScanRecords(
        **snap, key, options_.batch_max_ops, options_.batch_max_bytes);
    if (!scan.ok()) return scan.status();
    SnapshotChunk chunk;
    chunk.resync_from = from;
    chunk.last = !scan->resume_key.has_value();
    if (!chunk.last) chunk.resume_key = *scan->resume_key;
    for (KeyedRecord& r : scan->records) {
      WireOp w;
      w.kind = r.record.kind;
      w.version = r.record.version;
      w.key = std::move(r.key);
      w.value = std::move(r.record.value);
      chunk.records.push_back(std::move(w));
    }
    std::string payload = EncodeSnapshotChunk(chunk);
    if (absl::Status s = conn->Send(FrameType::kSnapshotChunk, payload);
        !s.ok()) {
      return s;
    }
    bytes_sent_.fetch_add(payload.size(), std::memory_order_relaxed);
    streamed += payload.size();
    if (chunk.last) break;
    key = chunk.resume_key;
    // Throttle: never ahead of resync_rate_mb.
    const absl::Duration due =
        absl::Seconds(static_cast<double>(streamed) / rate);
    const absl::Duration ahead = due - (absl::Now() - started);
    if (ahead > absl::ZeroDuration() && !SleepFor(ahead)) {
      return absl::CancelledError("stopping");
    }
  }
  // acked_ moves to `from` when the last chunk's ack arrives; until then
  // hold_from() keeps the log from from + 1.
  resyncing_.store(false);
  return from + 1;
}

absl::Status Peer::Compare(absl::Duration timeout, uint64_t horizon_hlc,
                           nlohmann::ordered_json* report) {
  const absl::Time deadline = absl::Now() + timeout;
  const uint32_t buckets = static_cast<uint32_t>(options_.digest_buckets);
  uint64_t id;
  std::shared_ptr<Connection> conn;
  {
    MutexLock lock(&mu_);
    conn = conn_;
    if (conn == nullptr || !up_.load()) {
      return absl::UnavailableError(
          absl::StrCat("node ", address_.id, " is not connected",
                       last_error_.empty() ? "" : ": ", last_error_));
    }
    id = digest_next_id_++;
    digests_[id] = std::nullopt;
  }
  DigestRequest req;
  req.id = id;
  req.buckets = buckets;
  req.horizon_hlc = horizon_hlc;
  absl::Status sent = conn->Send(FrameType::kDigestRequest,
                                 EncodeDigestRequest(req));
  absl::StatusOr<Digest> mine = ComputeDigest(db_, buckets, horizon_hlc);
  DigestReply theirs;
  {
    MutexLock lock(&mu_);
    while (sent.ok() && !digests_[id].has_value() && !conn_broken_ &&
           !stopping_.load()) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) break;
    }
    std::optional<DigestReply> got = std::move(digests_[id]);
    digests_.erase(id);
    if (!sent.ok()) return sent;
    if (!got.has_value()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "node ", address_.id, " sent no digest within the timeout"));
    }
    theirs = std::move(*got);
    // Only compare on the same connection (conn_ may have changed).
    if (conn_ != conn) {
      return absl::UnavailableError(
          absl::StrCat("the link to node ", address_.id, " was reset"));
    }
  }
  if (!mine.ok()) return mine.status();
  std::vector<uint32_t> differ = DifferingBuckets(mine->hashes, theirs.hashes);
  size_t repaired = 0;
  if (!differ.empty()) {
    absl::flat_hash_set<uint32_t> wanted(differ.begin(), differ.end());
    absl::Status s = ForEachRecordInBuckets(
        db_, buckets, wanted, horizon_hlc, options_.batch_max_bytes,
        [&](std::vector<WireOp> records) -> absl::Status {
          repaired += records.size();
          Repair r;
          r.records = std::move(records);
          return conn->Send(FrameType::kRepair, EncodeRepair(r));
        });
    if (!s.ok()) return s;
  }
  nlohmann::ordered_json j;
  j["agree"] = differ.empty();
  j["differing_buckets"] = differ.size();
  j["buckets"] = buckets;
  j["records_pushed"] = repaired;
  j["horizon_hlc"] = horizon_hlc;
  j["local_sequence"] = mine->sequence;
  j["peer_sequence"] = theirs.sequence;
  {
    MutexLock lock(&mu_);
    last_compare_ = j;
    last_compare_at_ = absl::Now();
  }
  *report = std::move(j);
  return absl::OkStatus();
}

nlohmann::ordered_json Peer::StatusJson() {
  const absl::Time now = absl::Now();
  FailureDetector::State fd = detector_.Get(now);
  const uint64_t last = db_->LastSequence();
  nlohmann::ordered_json j;
  j["id"] = address_.id;
  j["address"] = absl::StrCat(address_.host, ":", address_.port);
  MutexLock lock(&mu_);
  std::string state = up_.load() ? (resyncing_.load() ? "resyncing" : "up")
                                 : (fd.tagged ? "tagged-failed" : "connecting");
  if (up_.load() && fd.tagged) state = "tagged-failed";
  j["state"] = state;
  j["failures"] = fd.failures;
  j["tagged"] = fd.tagged;
  j["tag_expires_in_ms"] =
      fd.tagged ? absl::ToInt64Milliseconds(fd.tag_expiry - now) : 0;
  j["times_tagged"] = fd.times_tagged;
  const uint64_t acked = acked_.load();
  j["acked_sequence"] = acked;
  j["durable_sequence"] = durable_acked_.load();
  const uint64_t lag = last > acked ? last - acked : 0;
  j["lag_entries"] = lag;
  int64_t lag_ms = 0;
  if (lag > 0) {
    // The oldest unacknowledged batch's age, or how long ago everything sent
    // was acknowledged when nothing is in flight.
    absl::Time since =
        inflight_.empty() ? caught_up_at_ : inflight_.front().sent;
    lag_ms = absl::ToInt64Milliseconds(now - since);
  }
  j["lag_ms"] = lag_ms;
  j["batches_in_flight"] = inflight_.size();
  j["bytes_in_flight"] = inflight_bytes_;
  j["to_be_backed_up"] = lag;
  j["resyncs"] = resyncs_;
  j["resyncs_resumed"] = resyncs_resumed_;
  j["resync_in_progress"] = resyncing_.load();
  j["discarded"] = discarded_;
  j["connections"] = reconnects_;
  j["coalesced_waits"] = coalesced_waits_;
  j["gathered_waits"] = gathered_waits_;
  j["batches_sent"] = batches_sent_.load();
  j["ops_sent"] = ops_sent_.load();
  j["bytes_sent"] = bytes_sent_.load();
  j["rtt_us"] = absl::ToInt64Microseconds(rtt_);
  j["peer_last_sequence"] = peer_last_sequence_;
  j["last_error"] = last_error_;
  if (last_compare_.is_null()) {
    j["digest"] = nullptr;
  } else {
    nlohmann::ordered_json d = last_compare_;
    d["checked_ms_ago"] = absl::ToInt64Milliseconds(now - last_compare_at_);
    j["digest"] = d;
  }
  return j;
}

}  // namespace cairn::replication
