// WriteOptions: the cairn_writeoptions_t for one write call, and the
// per-write replication choices (replication=, sync_acks=) it carries.
//
// Plain writes pass NULL (the C ABI's defaults: no sync, the database's
// replication mode), so the hot path allocates nothing and no options object
// is shared between threads (the ABI says options objects are used by one
// thread at a time). A sync write, or one with a replication choice, gets
// its own object; its cost is nothing next to the fsync or the round trip.
#ifndef CAIRN_BINDINGS_PYTHON_WRITE_OPTIONS_H_
#define CAIRN_BINDINGS_PYTHON_WRITE_OPTIONS_H_

#include <Python.h>

#include <cstdint>

#include "cairn/cairn.h"

namespace cairn::python {

// replication= and sync_acks= of put, delete and write_batch.
struct ReplicaChoice {
  int mode = CAIRN_REPLICATION_DEFAULT;          // CAIRN_REPLICATION_*
  uint32_t sync_acks = CAIRN_SYNC_ACKS_DEFAULT;  // a count or CAIRN_SYNC_ACKS_*
  bool is_default() const {
    return mode == CAIRN_REPLICATION_DEFAULT &&
           sync_acks == CAIRN_SYNC_ACKS_DEFAULT;
  }
  // A sync-mode write waits for peers: run it without the GIL.
  bool waits() const { return mode == CAIRN_REPLICATION_SYNC; }
};

// Parses replication (None, "sync" or "async") and sync_acks (None, an int
// >= 1, "majority" or "all"); either may be nullptr (absent). Returns false
// with a Python error set: TypeError for another type,
// cairn.InvalidArgumentError (a ValueError) for another value, OverflowError
// for a count too large for the C ABI. For raw CPython entry points.
bool ParseReplicaChoice(PyObject* replication, PyObject* sync_acks,
                        ReplicaChoice* out);
// ParseReplicaChoice, throwing pybind11::error_already_set.
ReplicaChoice ReplicaChoiceOrThrow(PyObject* replication, PyObject* sync_acks);

class WriteOptions {
 public:
  explicit WriteOptions(bool sync, const ReplicaChoice& replica = {}) {
    if (!sync && replica.is_default()) return;
    options_ = cairn_writeoptions_create();
    if (sync) cairn_writeoptions_set_sync(options_, 1);
    // The mode was checked by ParseReplicaChoice: this cannot fail.
    (void)cairn_writeoptions_set_replication_mode(options_, replica.mode,
                                                  nullptr);
    cairn_writeoptions_set_sync_acks(options_, replica.sync_acks);
  }
  ~WriteOptions() {
    if (options_ != nullptr) cairn_writeoptions_destroy(options_);
  }
  WriteOptions(const WriteOptions&) = delete;
  WriteOptions& operator=(const WriteOptions&) = delete;
  const cairn_writeoptions_t* get() const { return options_; }

 private:
  cairn_writeoptions_t* options_ = nullptr;
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_WRITE_OPTIONS_H_
