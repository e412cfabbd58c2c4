// Node: one Cairn node — the local engine (Db) plus, as the replication
// layer grows, the replicator that ships its op log to peers.
//
// The C ABI's cairn_db_t holds a Node, and every C entry point goes through
// it: writes, so that replication can act on each one (sync mode waits for
// acknowledgements here); reads and properties, so that the node can add its
// own ("cairn.options" lists both layers' options). Calls the node has no
// reason to intercept reach the engine through engine().
//
// Today the node replicates nothing and forwards to the Db; the replication
// issue adds peers behind this same surface. engine/ never includes this
// layer.
//
// Thread safety: as Db — every method may be called from any number of
// threads; destroying the Node must not race other calls.
#ifndef CAIRN_REPLICATION_NODE_H_
#define CAIRN_REPLICATION_NODE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/db.h"
#include "engine/db_env.h"
#include "engine/db_iterator.h"
#include "replication/options.h"

namespace cairn::replication {

class Connection;
class Node;
class Replicator;
struct Hello;

// Serves the clients of a node (issue 13). Implemented above this layer
// (cluster/client_session.h) and injected into Node::Open, so replication/
// never includes cluster/. Thread-safe: Serve runs on one receiver session
// thread per client connection.
class ClientHandler {
 public:
  virtual ~ClientHandler() = default;
  // Serves one client connection after its handshake; returns when the
  // client leaves or misbehaves, or the connection is shut down.
  virtual void Serve(Connection* conn, const Hello& hello) = 0;
  // The "cairn.clients" property (JSON).
  virtual std::string StatusJson() = 0;
  // Called once the node's replicator runs (its "cairn.replication"
  // property is complete), and once before the node stops it, so a
  // handler's own threads may read the node's state in between.
  virtual void Start() {}
  virtual void Stop() {}
};

// Makes a node's client handler once the node exists, before its listener
// starts. The handler must not outlive the node (the node owns it).
using ClientHandlerFactory =
    std::function<absl::StatusOr<std::unique_ptr<ClientHandler>>(Node*)>;

// Per-write replication choices (the C ABI's write-option setters).
enum class ReplicationMode : uint8_t { kDefault = 0, kAsync = 1, kSync = 2 };
struct ReplicaWrite {
  ReplicationMode mode = ReplicationMode::kDefault;  // replication.mode
  uint32_t sync_acks = kSyncAcksDefault;             // replication.sync_acks
};

class Node {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Node>> Open(
      const NodeOptions& options, const std::string& path,
      const DbEnv& env = DbEnv());
  // The same, serving clients on the replication listener through the
  // handler `clients` makes when replication is on and node.serve_clients
  // is true (clients are refused at the handshake otherwise).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Node>> Open(
      const NodeOptions& options, const std::string& path, const DbEnv& env,
      const ClientHandlerFactory& clients);

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Writes commit locally; then, in sync mode, wait for the required peers'
  // acknowledgements (Timeout/Unavailable past the deadline: the write is
  // durable here and queued for the peers the message names).
  [[nodiscard]] absl::Status Put(const WriteOptions& wo, std::string_view key,
                                 std::string_view value,
                                 const ReplicaWrite& rw = {});
  [[nodiscard]] absl::Status Delete(const WriteOptions& wo,
                                    std::string_view key,
                                    const ReplicaWrite& rw = {});
  [[nodiscard]] absl::Status Write(const WriteOptions& wo,
                                   const WriteBatch& batch,
                                   const ReplicaWrite& rw = {});
  // Records that keep the versions they were given (cairn load): applied
  // version-guarded (Db::Apply), as if received from this node itself, so
  // peers get them through its op log like local writes.
  [[nodiscard]] absl::StatusOr<ApplyResult> Load(
      const WriteOptions& wo, absl::Span<const ReceivedOp> ops) {
    return db_->Apply(wo, db_->node_id(), ops);
  }
  [[nodiscard]] absl::Status Get(const ReadOptions& ro, std::string_view key,
                                 std::string* value) {
    return db_->Get(ro, key, value);
  }
  [[nodiscard]] absl::Status GetInto(const ReadOptions& ro,
                                     std::string_view key, ValueDest* dest) {
    return db_->GetInto(ro, key, dest);
  }
  void MultiGet(const ReadOptions& ro, absl::Span<const std::string_view> keys,
                ValueDest* dests, absl::Status* statuses) {
    db_->MultiGet(ro, keys, dests, statuses);
  }
  [[nodiscard]] absl::StatusOr<std::unique_ptr<DbIterator>> NewIterator(
      const ReadOptions& ro) {
    return db_->NewIterator(ro);
  }
  [[nodiscard]] absl::StatusOr<std::shared_ptr<Snapshot>> GetSnapshot() {
    return db_->GetSnapshot();
  }
  // The engine's properties, "cairn.options" with both layers' options,
  // "cairn.replication" (JSON: this node and every peer's state) and
  // "cairn.clients" (JSON: the client service's counters, client_session.h;
  // {"serving":false} without one).
  [[nodiscard]] absl::StatusOr<std::string> Property(std::string_view name);

  // ---- Peers (FailedPrecondition when replication is off) ----
  // Adds "id@host:port" at run time; the new peer gets a full resync.
  [[nodiscard]] absl::Status AddPeer(std::string_view spec);
  // NotFound for an unknown id.
  [[nodiscard]] absl::Status RemovePeer(uint32_t id);
  // Starts a full resync of peer `id` now.
  [[nodiscard]] absl::Status ResyncPeer(uint32_t id);
  // Compares anti-entropy digests with every peer now (waiting at most
  // `timeout`), repairs differing buckets, and returns a JSON report; sets
  // *all_agree when every peer agreed before repair.
  [[nodiscard]] absl::StatusOr<std::string> CompareWithPeers(
      absl::Duration timeout, bool* all_agree);
  bool replicating() const { return replicator_ != nullptr; }
  // Whether clients are served (a handler runs behind the listener).
  bool serving_clients() const { return clients_ != nullptr; }

  // The local engine, for calls the node does not intercept (cache
  // instances, maintenance).
  Db& engine() { return *db_; }
  const NodeOptions& options() const { return options_; }

 private:
  Node(const NodeOptions& options, std::unique_ptr<Db> db);
  // Runs `commit` (a local write) between the replicator's BeginWrite and
  // FinishWrite.
  template <typename Commit>
  absl::Status Replicated(const WriteOptions& wo, const ReplicaWrite& rw,
                          Commit commit);

 public:
  ~Node();

 private:
  const NodeOptions options_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<Replicator> replicator_;  // null when replication is off
  // Serves clients through the replicator's listener; destroyed after the
  // replicator stopped (every session joined). Null: clients refused.
  std::unique_ptr<ClientHandler> clients_;
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_NODE_H_
