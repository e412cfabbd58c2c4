#include "engine/db_core.h"

#include "engine/db.h"
#include "engine/db_iterator.h"

namespace cairn {

bool DbCore::RegisterIterator(DbIterator* it) {
  MutexLock l(&mu_);
  if (db_ == nullptr) return false;
  iterators_.insert(it);
  return true;
}

void DbCore::UnregisterIterator(DbIterator* it) {
  MutexLock l(&mu_);
  iterators_.erase(it);
  it->InvalidateLocked();
}

const leveldb::Snapshot* DbCore::NewSnapshot(Snapshot* owner) {
  MutexLock l(&mu_);
  if (db_ == nullptr) return nullptr;
  snapshots_.insert(owner);
  return db_->GetSnapshot();
}

void DbCore::ReleaseSnapshot(Snapshot* owner) {
  MutexLock l(&mu_);
  if (snapshots_.erase(owner) == 0) return;
  if (db_ != nullptr && owner->snapshot_ != nullptr) {
    db_->ReleaseSnapshot(
        static_cast<const leveldb::Snapshot*>(owner->snapshot_));
  }
  owner->snapshot_ = nullptr;
}

void DbCore::Close() {
  MutexLock l(&mu_);
  for (DbIterator* it : iterators_) it->InvalidateLocked();
  iterators_.clear();
  for (Snapshot* s : snapshots_) {
    db_->ReleaseSnapshot(static_cast<const leveldb::Snapshot*>(s->snapshot_));
    s->snapshot_ = nullptr;
  }
  snapshots_.clear();
  db_ = nullptr;
}

}  // namespace cairn
