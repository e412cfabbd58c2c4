#include "replication/node.h"

#include "absl/strings/str_cat.h"
#include "replication/replicator.h"

namespace cairn::replication {
namespace {

absl::Status ReplicationOff() {
  return absl::FailedPreconditionError(
      "replication is off (set replication.node_id to turn it on)");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Node>> Node::Open(const NodeOptions& options,
                                                 const std::string& path,
                                                 const DbEnv& env) {
  return Open(options, path, env, nullptr);
}

absl::StatusOr<std::unique_ptr<Node>> Node::Open(
    const NodeOptions& options, const std::string& path, const DbEnv& env,
    const ClientHandlerFactory& clients) {
  absl::StatusOr<ReplicationConfig> config =
      ValidateReplication(options.replication);
  if (!config.ok()) return config.status();
  NodeOptions effective = options;
  if (config->enabled) {
    // One node id for both layers: versions name the node that wrote them,
    // and the relay filters by it.
    if (options.engine.node_id != 0 &&
        options.engine.node_id != options.replication.node_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "option node_id (", options.engine.node_id,
          ") differs from replication.node_id (", options.replication.node_id,
          "); set only replication.node_id"));
    }
    effective.engine.node_id = options.replication.node_id;
  }
  absl::StatusOr<std::unique_ptr<Db>> db =
      Db::Open(effective.engine, path, env);
  if (!db.ok()) return db.status();
  if (config->enabled && (*db)->node_id() != options.replication.node_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database ", path, " belongs to node ", (*db)->node_id(),
        ", not replication.node_id ", options.replication.node_id));
  }
  std::unique_ptr<Node> node(new Node(effective, std::move(*db)));
  if (config->enabled && clients && options.serve.serve_clients) {
    absl::StatusOr<std::unique_ptr<ClientHandler>> handler =
        clients(node.get());
    if (!handler.ok()) return handler.status();
    node->clients_ = std::move(*handler);
    config->serve_client = [h = node->clients_.get()](Connection* conn,
                                                      const Hello& hello) {
      h->Serve(conn, hello);
    };
  }
  if (config->enabled) {
    absl::StatusOr<std::unique_ptr<Replicator>> r =
        Replicator::Start(node->db_.get(), options.replication, *config);
    if (!r.ok()) return r.status();
    node->replicator_ = std::move(*r);
  }
  if (node->clients_ != nullptr) node->clients_->Start();
  return node;
}

Node::Node(const NodeOptions& options, std::unique_ptr<Db> db)
    : options_(options), db_(std::move(db)) {}

Node::~Node() {
  // The client handler's threads stop reading the node first; peers stop
  // before the engine closes under them.
  if (clients_ != nullptr) clients_->Stop();
  if (replicator_ != nullptr) replicator_->Stop();
  replicator_.reset();
  clients_.reset();
}

template <typename Commit>
absl::Status Node::Replicated(const WriteOptions& wo, const ReplicaWrite& rw,
                              Commit commit) {
  if (replicator_ == nullptr) {
    CommitInfo info;
    return commit(&info);
  }
  const Replicator::AckWait wait = replicator_->BeginWrite(rw, wo.sync);
  CommitInfo info;
  absl::Status s = commit(&info);
  absl::Status r =
      replicator_->FinishWrite(rw, wait, s.ok() ? info.last_sequence : 0);
  return s.ok() ? r : s;
}

absl::Status Node::Put(const WriteOptions& wo, std::string_view key,
                       std::string_view value, const ReplicaWrite& rw) {
  return Replicated(
      wo, rw, [&](CommitInfo* info) { return db_->Put(wo, key, value, info); });
}

absl::Status Node::Delete(const WriteOptions& wo, std::string_view key,
                          const ReplicaWrite& rw) {
  return Replicated(
      wo, rw, [&](CommitInfo* info) { return db_->Delete(wo, key, info); });
}

absl::Status Node::Write(const WriteOptions& wo, const WriteBatch& batch,
                         const ReplicaWrite& rw) {
  return Replicated(
      wo, rw, [&](CommitInfo* info) { return db_->Write(wo, batch, info); });
}

absl::StatusOr<std::string> Node::Property(std::string_view name) {
  if (name == "cairn.options") return NodeOptionsToJson(options_);
  if (name == "cairn.replication") {
    if (replicator_ == nullptr) return std::string(R"({"enabled":false})");
    return replicator_->StatusJson();
  }
  if (name == "cairn.clients") {
    if (clients_ == nullptr) return std::string(R"({"serving":false})");
    return clients_->StatusJson();
  }
  return db_->Property(name);
}

absl::Status Node::AddPeer(std::string_view spec) {
  if (replicator_ == nullptr) return ReplicationOff();
  return replicator_->AddPeer(spec);
}

absl::Status Node::RemovePeer(uint32_t id) {
  if (replicator_ == nullptr) return ReplicationOff();
  return replicator_->RemovePeer(id);
}

absl::Status Node::ResyncPeer(uint32_t id) {
  if (replicator_ == nullptr) return ReplicationOff();
  return replicator_->ResyncPeer(id);
}

absl::StatusOr<std::string> Node::CompareWithPeers(absl::Duration timeout,
                                                   bool* all_agree) {
  if (replicator_ == nullptr) return ReplicationOff();
  return replicator_->CompareWithPeers(timeout, all_agree);
}

}  // namespace cairn::replication
