#include "py_write_batch.h"

#include "bytes_arg.h"
#include "errors.h"
#include "write_options.h"

namespace py = pybind11;

namespace cairn::python {

PyWriteBatch::PyWriteBatch(std::shared_ptr<DbState> state, bool sync,
                           bool transaction, const ReplicaChoice& replica)
    : state_(std::move(state)),
      batch_(cairn_writebatch_create()),
      sync_(sync),
      transaction_(transaction),
      replica_(replica) {
  state_->CheckedOrThrow();
}

PyWriteBatch::PyWriteBatch(std::shared_ptr<ClusterState> cluster, bool sync,
                           bool transaction)
    : cluster_(std::move(cluster)),
      batch_(cairn_writebatch_create()),
      sync_(sync),
      transaction_(transaction) {
  cluster_->CheckOrThrow();
}

// A batch is plain memory, independent of the database: safe to free even
// in a forked child or after close.
PyWriteBatch::~PyWriteBatch() { cairn_writebatch_destroy(batch_); }

void PyWriteBatch::CheckNotWriting() const {
  if (writing_) {
    ThrowError(ErrorClass(CAIRN_OK),
               "write batch is being written by another thread");
  }
}

void PyWriteBatch::Put(py::handle key, py::handle value) {
  CheckNotWriting();
  BytesArg k;
  k.InitOrThrow(key.ptr(), "key");
  BytesArg v;
  v.InitOrThrow(value.ptr(), "value");
  char* err = nullptr;
  cairn_status_t s = cairn_writebatch_put(batch_, k.data(), k.size(), v.data(),
                                          v.size(), &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "write_batch.put");
}

void PyWriteBatch::Delete(py::handle key) {
  CheckNotWriting();
  BytesArg k;
  k.InitOrThrow(key.ptr(), "key");
  char* err = nullptr;
  cairn_status_t s = cairn_writebatch_delete(batch_, k.data(), k.size(), &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "write_batch.delete");
}

void PyWriteBatch::Clear() {
  CheckNotWriting();
  cairn_writebatch_clear(batch_);
}

size_t PyWriteBatch::Size() { return cairn_writebatch_count(batch_); }

void PyWriteBatch::Append(const PyWriteBatch& other) {
  CheckNotWriting();
  other.CheckNotWriting();
  char* err = nullptr;
  cairn_status_t s = cairn_writebatch_append(batch_, other.batch_, &err);
  if (s != CAIRN_OK) ThrowStatus(s, err, "write_batch.append");
}

size_t PyWriteBatch::ApproximateSize() const {
  return cairn_writebatch_approximate_size(batch_);
}

void PyWriteBatch::Write() {
  if (cluster_ != nullptr) {
    WriteTo(*cluster_, sync_);
    cairn_writebatch_clear(batch_);
    return;
  }
  CheckNotWriting();
  InFlightCall call(*state_);
  WriteOptions options(sync_, replica_);
  cairn_status_t s;
  char* err = nullptr;
  writing_ = true;
  {
    py::gil_scoped_release nogil;
    s = cairn_write(call.db(), options.get(), batch_, &err);
  }
  writing_ = false;
  if (s != CAIRN_OK) ThrowStatus(s, err, "write_batch");
  cairn_writebatch_clear(batch_);
}

void PyWriteBatch::WriteTo(ClusterState& cluster, bool sync) {
  CheckNotWriting();
  ClusterCall call(cluster);
  WriteOptions options(sync);
  cairn_status_t s;
  char* err = nullptr;
  writing_ = true;
  {
    py::gil_scoped_release nogil;
    s = cairn_cluster_write(call.get(), options.get(), batch_, &err);
  }
  writing_ = false;
  if (s != CAIRN_OK) ThrowStatus(s, err, "cluster write");
}

void PyWriteBatch::Exit(py::handle exc_type) {
  if (transaction_ && !exc_type.is_none()) {
    Clear();
    return;
  }
  Write();
}

}  // namespace cairn::python
