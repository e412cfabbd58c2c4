// PyWriteBatch: cairn.WriteBatch, operations applied atomically by write().
//
// Made by DB.write_batch(sync=, transaction=, replication=, sync_acks=), or by
// Cluster.write_batch(sync=, transaction=) to write through a cluster client.
// As a context manager it writes on leaving the block; with transaction=True
// nothing is written when the block raised. write() applies the batch (with
// the GIL released) and clears it, so the batch can be reused.
// Cluster.write(batch) applies any batch through a cluster client (WriteTo).
//
// One thread at a time: put/delete/clear hold the GIL, and while write() runs
// without it, other calls on the batch raise cairn.Error.
#ifndef CAIRN_BINDINGS_PYTHON_PY_WRITE_BATCH_H_
#define CAIRN_BINDINGS_PYTHON_PY_WRITE_BATCH_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "cairn/cairn.h"
#include "cluster_state.h"
#include "db_state.h"
#include "write_options.h"

namespace cairn::python {

class PyWriteBatch {
 public:
  PyWriteBatch(std::shared_ptr<DbState> state, bool sync, bool transaction,
               const ReplicaChoice& replica = {});
  // A batch whose write() goes through the cluster client `cluster`.
  PyWriteBatch(std::shared_ptr<ClusterState> cluster, bool sync,
               bool transaction);
  ~PyWriteBatch();
  PyWriteBatch(const PyWriteBatch&) = delete;
  PyWriteBatch& operator=(const PyWriteBatch&) = delete;

  void Put(pybind11::handle key, pybind11::handle value);
  void Delete(pybind11::handle key);
  void Clear();
  size_t Size();
  // Appends a copy of every operation of `other` (which may be this batch).
  void Append(const PyWriteBatch& other);
  // The key and value bytes the batch holds.
  size_t ApproximateSize() const;
  void Write();
  // Applies the batch atomically through `cluster` (cairn_cluster_write,
  // without the GIL) and leaves it as it is.
  void WriteTo(ClusterState& cluster, bool sync);
  // __exit__: writes unless this is a transaction and the block raised.
  void Exit(pybind11::handle exc_type);

 private:
  void CheckNotWriting() const;

  std::shared_ptr<DbState> state_;         // null for a cluster's batch
  std::shared_ptr<ClusterState> cluster_;  // null for a database's batch
  cairn_writebatch_t* batch_;
  const bool sync_;
  const bool transaction_;
  const ReplicaChoice replica_;
  bool writing_ = false;  // guarded by the GIL
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_WRITE_BATCH_H_
