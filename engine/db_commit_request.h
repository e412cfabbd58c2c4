// Db::CommitRequest: one commit's worth of work, handed through the write
// queue (db_write.cc). Private to the engine's write path: the files that
// commit through the queue (db_write.cc, db_tombstones.cc) include it.
// A request belongs to the thread that submits it; the leader of its group
// reads its inputs and fills its outputs while that thread waits in Commit.
#ifndef CAIRN_ENGINE_DB_COMMIT_REQUEST_H_
#define CAIRN_ENGINE_DB_COMMIT_REQUEST_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "engine/db.h"

namespace cairn {

struct Db::CommitRequest {
  bool replicated = false;  // versions supplied, applied only where newer
  // Tombstone collection: `ops` are tombstones with their `versions`, each
  // deleted only if still exactly that record (applied: out); no op log.
  bool purge = false;
  uint32_t source = 0;  // replicated: the peer the ops came from
  const OpView* ops = nullptr;
  size_t n = 0;
  Version* versions = nullptr;  // local: out, the assigned versions
  bool* applied = nullptr;      // replicated, purge: out, which ops applied
  absl::Span<const MetadataUpdate> metadata;
  CommitInfo info;  // out
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_DB_COMMIT_REQUEST_H_
