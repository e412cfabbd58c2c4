#include "replication/receiver.h"

#include <poll.h>
#include <sys/socket.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/info_log.h"
#include "engine/strings.h"
#include "replication/digest.h"
#include "replication/metadata_codec.h"

namespace cairn::replication {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr size_t kMaxWelcomeResumeKey = 1024;
constexpr size_t kMaxGroupFrames = 64;
constexpr size_t kMaxGroupBytes = 8 << 20;

std::vector<ReceivedOp> ToReceived(const std::vector<WireOp>& ops) {
  std::vector<ReceivedOp> out;
  out.reserve(ops.size());
  for (const WireOp& op : ops) {
    out.push_back(ReceivedOp{op.kind, op.version, op.key, op.value});
  }
  return out;
}

}  // namespace

std::string ReceiveCursorName(uint32_t sender) {
  return absl::StrCat("repl.recv.", sender);
}
std::string ResyncStateName(uint32_t sender) {
  return absl::StrCat("repl.resync.", sender);
}

absl::StatusOr<ReceiveCursor> LoadReceiveCursor(Db* db, uint32_t sender) {
  ReceiveCursor c;
  absl::StatusOr<std::string> applied =
      db->GetMetadata(ReceiveCursorName(sender));
  if (applied.ok()) {
    if (!DecodeU64(*applied, &c.applied)) {
      return absl::DataLossError(absl::StrCat(
          "metadata ", ReceiveCursorName(sender), " is not a cursor"));
    }
  } else if (!absl::IsNotFound(applied.status())) {
    return applied.status();
  }
  absl::StatusOr<std::string> resync = db->GetMetadata(ResyncStateName(sender));
  if (resync.ok() && !resync->empty()) {
    if (!DecodeU64(*resync, &c.resync_from)) {
      return absl::DataLossError(absl::StrCat(
          "metadata ", ResyncStateName(sender), " is not a resync state"));
    }
    c.resync_in_progress = true;
    c.resync_resume_key = resync->substr(8);
  } else if (!resync.ok() && !absl::IsNotFound(resync.status())) {
    return resync.status();
  }
  return c;
}

Receiver::Receiver(Db* db, Config config)
    : db_(db),
      config_(std::move(config)),
      limits_{static_cast<uint32_t>(db->options().max_key_size),
              static_cast<uint32_t>(db->options().max_value_size), 1u << 20},
      acceptor_(BlockingIoContext()) {}

absl::StatusOr<std::unique_ptr<Receiver>> Receiver::Start(Db* db,
                                                          Config config) {
  std::unique_ptr<Receiver> r(new Receiver(db, std::move(config)));
  boost::system::error_code ec;
  asio::ip::address addr = asio::ip::make_address(
      r->config_.listen_host == "localhost" ? std::string("127.0.0.1")
                                            : r->config_.listen_host,
      ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("replication.listen: bad host ", r->config_.listen_host));
  }
  tcp::endpoint ep(addr, r->config_.listen_port);
  r->acceptor_.open(ep.protocol(), ec);
  if (!ec) r->acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) r->acceptor_.bind(ep, ec);
  if (!ec) r->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat(
        "replication.listen: cannot listen on ", r->config_.listen_host, ":",
        r->config_.listen_port, ": ", ec.message()));
  }
  r->port_ = r->acceptor_.local_endpoint(ec).port();
  r->accept_thread_ = std::thread([p = r.get()] { p->AcceptLoop(); });
  return r;
}

Receiver::~Receiver() { Stop(); }

void Receiver::Stop() {
  if (stopping_.exchange(true)) {
    if (accept_thread_.joinable()) accept_thread_.join();
    return;
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  std::list<std::unique_ptr<Session>> sessions;
  {
    MutexLock lock(&mu_);
    for (auto& s : sessions_) s->conn->Shutdown();
    sessions.swap(sessions_);
    by_sender_.clear();
  }
  for (auto& s : sessions) {
    if (s->thread.joinable()) s->thread.join();
  }
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void Receiver::Reap() {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if ((*it)->done.load()) {
      if ((*it)->thread.joinable()) (*it)->thread.join();
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

void Receiver::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd pfd{acceptor_.native_handle(), POLLIN, 0};
    int r = ::poll(&pfd, 1, 100);
    if (r <= 0) {
      MutexLock lock(&mu_);
      Reap();
      continue;
    }
    boost::system::error_code ec;
    tcp::endpoint remote;
    tcp::socket socket(BlockingIoContext());
    acceptor_.accept(socket, remote, ec);
    if (ec) continue;
    std::string who =
        absl::StrCat(remote.address().to_string(), ":", remote.port());
    MutexLock lock(&mu_);
    Reap();
    if (sessions_.size() >= config_.max_connections) {
      refused_.fetch_add(1);
      InfoLog(db_->info_log(),
              "cairn replication: refused %s: %zu connections already "
              "(replication.max_connections)",
              who.c_str(), sessions_.size());
      continue;  // the socket closes here
    }
    auto session = std::make_unique<Session>();
    session->conn = std::make_unique<Connection>(std::move(socket), who);
    Session* raw = session.get();
    sessions_.push_back(std::move(session));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

Mutex& Receiver::SenderMutex(uint32_t sender) {
  MutexLock lock(&mu_);
  auto& m = sender_mu_[sender];
  if (m == nullptr) m = std::make_unique<Mutex>();
  return *m;
}

void Receiver::Serve(Session* session) {
  Connection* conn = session->conn.get();
  absl::StatusOr<Hello> hello = conn->ServerHandshake(
      config_.handshake,
      [this](const Hello& h) -> absl::StatusOr<ReceiveCursor> {
        if (h.role == Role::kClient) {
          if (!config_.serve_client) {
            return absl::FailedPreconditionError(
                "this node does not serve clients (node.serve_clients)");
          }
          if (h.node_id != 0) {
            return absl::InvalidArgumentError(
                absl::StrCat("a client connects as node 0, not ", h.node_id));
          }
          return ReceiveCursor();
        }
        if (h.role != Role::kPeer) {
          return absl::FailedPreconditionError(
              "this endpoint serves replication peers only");
        }
        if (absl::Status s = config_.admit(h.node_id); !s.ok()) return s;
        absl::StatusOr<ReceiveCursor> c = LoadReceiveCursor(db_, h.node_id);
        // The Welcome travels before authentication, under its 4 KiB cap: a
        // prefix of the resume key sorts at or before it, so resuming there
        // only re-sends a few records (applied version-guarded).
        if (c.ok() && c->resync_resume_key.size() > kMaxWelcomeResumeKey) {
          c->resync_resume_key.resize(kMaxWelcomeResumeKey);
        }
        return c;
      });
  if (!hello.ok()) {
    refused_.fetch_add(1);
    InfoLog(db_->info_log(), "cairn replication: handshake with %s failed: %s",
            conn->remote().c_str(), hello.status().ToString().c_str());
    session->done.store(true);
    conn->Shutdown();
    return;
  }
  if (hello->role == Role::kClient) {
    config_.serve_client(conn, *hello);
    conn->Shutdown();
    session->done.store(true);
    return;
  }
  const uint32_t sender = hello->node_id;
  {
    MutexLock lock(&mu_);
    session->sender = sender;
    auto it = by_sender_.find(sender);
    if (it != by_sender_.end() && it->second != session) {
      // A node reconnecting (after a restart or a cut) replaces its old
      // connection; the old one may be half dead.
      InfoLog(db_->info_log(),
              "cairn replication: node %u reconnected from %s; closing its "
              "older connection",
              sender, conn->remote().c_str());
      it->second->conn->Shutdown();
    }
    by_sender_[sender] = session;
    SenderStats& st = stats_[sender];
    st.connected = true;
    ++st.connections;
  }
  {
    // A resync this sender had not finished before a restart or cut, and
    // how far its log was applied (known before its next batch arrives).
    absl::StatusOr<ReceiveCursor> cursor = LoadReceiveCursor(db_, sender);
    MutexLock lock(&mu_);
    stats_[sender].resyncing = cursor.ok() && cursor->resync_in_progress;
    if (cursor.ok()) stats_[sender].applied_sequence = cursor->applied;
  }
  absl::Status why;
  while (!stopping_.load()) {
    absl::StatusOr<Frame> frame =
        conn->Receive(absl::Now() + config_.idle_timeout);
    if (!frame.ok()) {
      if (absl::IsInvalidArgument(frame.status()) ||
          absl::IsDataLoss(frame.status())) {
        bad_frames_.fetch_add(1);
      }
      why = frame.status();
      break;
    }
    absl::Status s;
    if (frame->type == FrameType::kOpBatch) {
      // Batches already here are applied together: one LevelDB write and
      // one acknowledgement for all of them, so a receiver that falls
      // behind catches up in larger steps.
      std::vector<Frame> group;
      size_t bytes = frame->payload.size();
      group.push_back(std::move(*frame));
      std::optional<Frame> other;
      while (group.size() < kMaxGroupFrames && bytes < kMaxGroupBytes) {
        absl::StatusOr<Frame> more = conn->Receive(absl::InfinitePast());
        // Nothing more buffered (or a bad frame, which the next Receive
        // reports again).
        if (!more.ok()) break;
        if (more->type != FrameType::kOpBatch) {
          other = std::move(*more);
          break;
        }
        bytes += more->payload.size();
        group.push_back(std::move(*more));
      }
      s = ApplyBatches(session, session->sender, group);
      if (s.ok() && other.has_value()) s = Handle(session, *other);
    } else {
      s = Handle(session, *frame);
    }
    if (!s.ok()) {
      why = s;
      if (absl::IsInvalidArgument(s)) {
        bad_frames_.fetch_add(1);
        conn->Fail(SV(s.message()));
      }
      break;
    }
  }
  if (!stopping_.load()) {
    InfoLog(db_->info_log(),
            "cairn replication: connection from node %u (%s) closed: %s",
            sender, conn->remote().c_str(), why.ToString().c_str());
  }
  conn->Shutdown();
  if (session->digest.joinable()) session->digest.join();
  MutexLock lock(&mu_);
  auto it = by_sender_.find(sender);
  if (it != by_sender_.end() && it->second == session) {
    by_sender_.erase(it);
    stats_[sender].connected = false;
  }
  session->done.store(true);
}

absl::Status Receiver::Handle(Session* session, const Frame& frame) {
  Connection* conn = session->conn.get();
  const uint32_t sender = session->sender;
  switch (frame.type) {
    case FrameType::kOpBatch:
      return ApplyBatches(session, sender, {frame});
    case FrameType::kSnapshotChunk:
      return ApplyChunk(session, sender, frame.payload);
    case FrameType::kRepair:
      return ApplyRepair(sender, frame.payload);
    case FrameType::kHeartbeat: {
      absl::StatusOr<Heartbeat> hb = DecodeHeartbeat(frame.payload);
      if (!hb.ok()) return hb.status();
      Heartbeat reply = *hb;
      reply.last_sequence = db_->LastSequence();
      return conn->Send(FrameType::kHeartbeatReply, EncodeHeartbeat(reply));
    }
    case FrameType::kDigestRequest: {
      absl::StatusOr<DigestRequest> req = DecodeDigestRequest(frame.payload);
      if (!req.ok()) return req.status();
      if (session->digest.joinable()) session->digest.join();
      session->digest = std::thread([this, conn, sender, req = *req] {
        absl::StatusOr<Digest> d =
            ComputeDigest(db_, req.buckets, req.horizon_hlc);
        if (!d.ok()) {
          // The requester times out and tries again later; the connection
          // stays (the walk failed here, not the peer).
          InfoLog(db_->info_log(), "cairn replication: digest for node %u: %s",
                  sender, d.status().ToString().c_str());
          return;
        }
        DigestReply reply;
        reply.id = req.id;
        reply.sequence = d->sequence;
        reply.hashes = std::move(d->hashes);
        (void)conn->Send(FrameType::kDigestReply, EncodeDigestReply(reply));
      });
      return absl::OkStatus();
    }
    case FrameType::kError: {
      absl::StatusOr<ErrorFrame> e = DecodeError(frame.payload);
      return absl::UnavailableError(absl::StrCat(
          "node ", sender, " closed: ", e.ok() ? e->reason : "(bad reason)"));
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected frame type ", static_cast<int>(frame.type),
                       " from node ", sender));
  }
}

absl::Status Receiver::ApplyBatches(Session* session, uint32_t sender,
                                    const std::vector<Frame>& frames) {
  std::vector<OpBatch> batches;
  batches.reserve(frames.size());
  for (const Frame& f : frames) {
    absl::StatusOr<OpBatch> batch = DecodeOpBatch(f.payload, limits_);
    if (!batch.ok()) return batch.status();
    if (batch->last_sequence < batch->first_sequence) {
      return absl::InvalidArgumentError(absl::StrCat(
          "op batch from node ", sender, " ends (", batch->last_sequence,
          ") before it starts (", batch->first_sequence, ")"));
    }
    batches.push_back(std::move(*batch));
  }
  Ack ack;
  {
    MutexLock apply_lock(&SenderMutex(sender));
    absl::StatusOr<ReceiveCursor> cursor = LoadReceiveCursor(db_, sender);
    if (!cursor.ok()) return cursor.status();
    // The batches that arrived together go in one atomic apply (each is a
    // whole set of write batches, in order); replays of what is already
    // here are left out.
    std::vector<ReceivedOp> ops;
    uint64_t last = cursor->applied;
    bool sync = false;
    for (const OpBatch& b : batches) {
      sync = sync || b.sync;
      if (b.last_sequence <= last) continue;
      for (const WireOp& op : b.ops) {
        ops.push_back(ReceivedOp{op.kind, op.version, op.key, op.value});
      }
      last = b.last_sequence;
    }
    ack.durable = sync;
    ack.applied = last;
    if (last > cursor->applied) {
      WriteOptions wo;
      wo.sync = sync;
      const std::string name = ReceiveCursorName(sender);
      const std::string value = EncodeU64(last);
      MetadataUpdate meta[] = {{name, value}};
      absl::StatusOr<ApplyResult> r = db_->Apply(wo, sender, ops, meta);
      if (!r.ok()) {
        // Not the connection's fault when the engine fails; close it so the
        // sender retries from the stored cursor.
        return absl::UnavailableError(absl::StrCat(
            "applying a batch from node ", sender, ": ", r.status().message()));
      }
      MutexLock lock(&mu_);
      SenderStats& st = stats_[sender];
      st.batches += batches.size();
      st.ops_applied += r->applied;
      st.ops_skipped += r->skipped;
      st.applied_sequence = last;
    }
  }
  return session->conn->Send(FrameType::kAck, EncodeAck(ack));
}

absl::Status Receiver::ApplyChunk(Session* session, uint32_t sender,
                                  const std::string& payload) {
  absl::StatusOr<SnapshotChunk> chunk = DecodeSnapshotChunk(payload, limits_);
  if (!chunk.ok()) return chunk.status();
  MutexLock apply_lock(&SenderMutex(sender));
  std::vector<ReceivedOp> ops = ToReceived(chunk->records);
  const std::string cursor_name = ReceiveCursorName(sender);
  const std::string resync_name = ResyncStateName(sender);
  std::string cursor_value;
  std::string resync_value;
  std::vector<MetadataUpdate> meta;
  if (chunk->last) {
    // Done: everything up to the resync's start is here; the log from
    // there on follows as ordinary batches.
    cursor_value = EncodeU64(chunk->resync_from);
    meta.push_back({cursor_name, cursor_value});
    meta.push_back({resync_name, resync_value});  // empty: none
  } else {
    resync_value = EncodeU64(chunk->resync_from) + chunk->resume_key;
    meta.push_back({resync_name, resync_value});
  }
  WriteOptions wo;
  wo.sync = chunk->last;
  absl::StatusOr<ApplyResult> r = db_->Apply(wo, sender, ops, meta);
  if (!r.ok()) {
    return absl::UnavailableError(
        absl::StrCat("applying a resync chunk from node ", sender, ": ",
                     r.status().message()));
  }
  {
    MutexLock lock(&mu_);
    SenderStats& st = stats_[sender];
    st.ops_applied += r->applied;
    st.ops_skipped += r->skipped;
    if (chunk->last) st.applied_sequence = chunk->resync_from;
    st.resyncing = !chunk->last;
  }
  Ack ack;
  ack.applied = chunk->last ? chunk->resync_from : 0;
  ack.durable = chunk->last;
  return session->conn->Send(FrameType::kAck, EncodeAck(ack));
}

absl::Status Receiver::ApplyRepair(uint32_t sender,
                                   const std::string& payload) {
  absl::StatusOr<Repair> repair = DecodeRepair(payload, limits_);
  if (!repair.ok()) return repair.status();
  std::vector<ReceivedOp> ops = ToReceived(repair->records);
  absl::StatusOr<ApplyResult> r = db_->Apply(WriteOptions(), sender, ops);
  if (!r.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "applying a repair from node ", sender, ": ", r.status().message()));
  }
  MutexLock lock(&mu_);
  SenderStats& st = stats_[sender];
  st.ops_applied += r->applied;
  st.ops_skipped += r->skipped;
  return absl::OkStatus();
}

absl::flat_hash_map<uint32_t, Receiver::SenderStats> Receiver::Stats() {
  MutexLock lock(&mu_);
  return stats_;
}

}  // namespace cairn::replication
