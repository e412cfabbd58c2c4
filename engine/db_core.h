// DbCore: the part of a Db that its iterators and snapshots share.
//
// Iterators and snapshots can outlive the Db that made them (a host may
// close a database with an iterator still open). They hold a shared_ptr to
// the DbCore; when the Db closes, DbCore::Close() frees their LevelDB
// resources and marks them invalid, so later use reports Unavailable instead
// of touching a closed LevelDB. Internal to the engine. Thread-safe.
#ifndef CAIRN_ENGINE_DB_CORE_H_
#define CAIRN_ENGINE_DB_CORE_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "engine/mutex.h"
#include "leveldb/db.h"

namespace cairn {

class DbIterator;
class Snapshot;

class DbCore {
 public:
  explicit DbCore(leveldb::DB* db) : db_(db) {}

  // False once closed.
  bool RegisterIterator(DbIterator* it) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets the iterator and frees its LevelDB iterator if still open.
  void UnregisterIterator(DbIterator* it) ABSL_LOCKS_EXCLUDED(mu_);
  // A new registered snapshot, or null once closed.
  const leveldb::Snapshot* NewSnapshot(Snapshot* owner)
      ABSL_LOCKS_EXCLUDED(mu_);
  void ReleaseSnapshot(Snapshot* owner) ABSL_LOCKS_EXCLUDED(mu_);

  // Invalidates every iterator and snapshot; the LevelDB handle is no longer
  // used through this core afterwards.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Mutex mu_;
  leveldb::DB* db_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<DbIterator*> iterators_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Snapshot*> snapshots_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_DB_CORE_H_
