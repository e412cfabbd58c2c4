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

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/db.h"
#include "engine/db_env.h"
#include "engine/db_iterator.h"
#include "replication/options.h"

namespace cairn::replication {

class Node {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Node>> Open(
      const NodeOptions& options, const std::string& path,
      const DbEnv& env = DbEnv());

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  [[nodiscard]] absl::Status Put(const WriteOptions& wo, std::string_view key,
                                 std::string_view value) {
    return db_->Put(wo, key, value);
  }
  [[nodiscard]] absl::Status Delete(const WriteOptions& wo,
                                    std::string_view key) {
    return db_->Delete(wo, key);
  }
  [[nodiscard]] absl::Status Write(const WriteOptions& wo,
                                   const WriteBatch& batch) {
    return db_->Write(wo, batch);
  }
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
  // The engine's properties, and "cairn.options" with both layers' options.
  [[nodiscard]] absl::StatusOr<std::string> Property(std::string_view name);

  // The local engine, for calls the node does not intercept (cache
  // instances, maintenance).
  Db& engine() { return *db_; }
  const NodeOptions& options() const { return options_; }

 private:
  Node(const NodeOptions& options, std::unique_ptr<Db> db)
      : options_(options), db_(std::move(db)) {}

  const NodeOptions options_;
  std::unique_ptr<Db> db_;
};

}  // namespace cairn::replication

#endif  // CAIRN_REPLICATION_NODE_H_
