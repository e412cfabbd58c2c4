// The structs behind the C ABI's opaque handles. Internal to the plugin.
#ifndef CAIRN_PLUGIN_HANDLES_H_
#define CAIRN_PLUGIN_HANDLES_H_

#include <memory>

#include "cairn/cairn.h"
#include "cluster/host_options.h"
#include "engine/db.h"
#include "engine/db_iterator.h"
#include "engine/options.h"
#include "engine/write_batch.h"
#include "replication/node.h"
#include "replication/options.h"

struct cairn_db_t {
  std::unique_ptr<cairn::replication::Node> node;
};

// Every option by name: the node's, coordination.* and a cluster client's.
struct cairn_options_t {
  cairn::cluster::HostOptions options;
};

struct cairn_snapshot_t {
  std::shared_ptr<cairn::Snapshot> snapshot;
};

struct cairn_readoptions_t {
  cairn::ReadOptions options;  // options.snapshot is set per call
  const cairn_snapshot_t* snapshot = nullptr;
};

struct cairn_writeoptions_t {
  cairn::WriteOptions options;
  cairn::replication::ReplicaWrite replica;  // ABI 1.3 per-write choices
};

struct cairn_writebatch_t {
  cairn::WriteBatch batch;
};

struct cairn_iterator_t {
  std::unique_ptr<cairn::DbIterator> iter;
  // An exception caught in a move (an entry point with no status to
  // return); reported by cairn_iter_status. Reset by the next move.
  absl::Status error;
};

namespace cairn::plugin {

inline ReadOptions ToReadOptions(const cairn_readoptions_t* ro) {
  if (ro == nullptr) return ReadOptions();
  ReadOptions out = ro->options;
  out.snapshot =
      ro->snapshot != nullptr ? ro->snapshot->snapshot.get() : nullptr;
  return out;
}

// For point reads: the snapshot and flags; the iterator bounds (strings)
// are not copied.
inline ReadOptions ToPointReadOptions(const cairn_readoptions_t* ro) {
  ReadOptions out;
  if (ro == nullptr) return out;
  out.verify_checksums = ro->options.verify_checksums;
  out.fill_cache = ro->options.fill_cache;
  out.snapshot =
      ro->snapshot != nullptr ? ro->snapshot->snapshot.get() : nullptr;
  return out;
}

inline WriteOptions ToWriteOptions(const cairn_writeoptions_t* wo) {
  return wo == nullptr ? WriteOptions() : wo->options;
}

inline replication::ReplicaWrite ToReplicaWrite(
    const cairn_writeoptions_t* wo) {
  return wo == nullptr ? replication::ReplicaWrite() : wo->replica;
}

}  // namespace cairn::plugin

#endif  // CAIRN_PLUGIN_HANDLES_H_
