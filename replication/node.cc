#include "replication/node.h"

namespace cairn::replication {

absl::StatusOr<std::unique_ptr<Node>> Node::Open(const NodeOptions& options,
                                                 const std::string& path,
                                                 const DbEnv& env) {
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(options.engine, path, env);
  if (!db.ok()) return db.status();
  return std::unique_ptr<Node>(new Node(options, std::move(*db)));
}

absl::StatusOr<std::string> Node::Property(std::string_view name) {
  if (name == "cairn.options") return NodeOptionsToJson(options_);
  return db_->Property(name);
}

}  // namespace cairn::replication
