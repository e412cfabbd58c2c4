// PyCluster: cairn.Cluster, a routing client of a group of Cairn nodes over
// the C ABI 1.4 cluster calls (cairn_cluster_*).
//
// Opened from the cluster.* and audit.* options, given as cairn.DB takes
// options: an `options` dict of names to values, then keywords whose first
// '_' reads as '.' (cluster_mode="standby" sets "cluster.mode"); `nodes`
// sets "cluster.nodes". Every call waits on the network (or on the audit
// log), so every call runs without the GIL, registered as in flight so that
// close() waits for it (cluster_state.h).
//
// Thread safety: any thread may use a Cluster (the C handle is
// thread-safe); close() waits for calls running without the GIL.
#ifndef CAIRN_BINDINGS_PYTHON_PY_CLUSTER_H_
#define CAIRN_BINDINGS_PYTHON_PY_CLUSTER_H_

#include <pybind11/pybind11.h>

#include <memory>

#include "cluster_state.h"

namespace cairn::python {

class PyCluster {
 public:
  PyCluster(const pybind11::object& nodes, const pybind11::object& options,
            const pybind11::dict& keyword_options);
  PyCluster(const PyCluster&) = delete;
  PyCluster& operator=(const PyCluster&) = delete;

  // The value of `key`, or `dflt` when the key is absent (as DB.get).
  pybind11::object Get(const pybind11::handle& key,
                       const pybind11::object& dflt);
  bool Contains(const pybind11::handle& key);
  void Put(const pybind11::handle& key, const pybind11::handle& value,
           bool sync);
  void Delete(const pybind11::handle& key, bool sync);
  // Applies `batch` (a WriteBatch or PrefixedWriteBatch) through the
  // cluster; the batch is left as it is.
  void Write(const pybind11::handle& batch, bool sync);
  // A cairn.ScanResult: a list of (key, value) with .truncated.
  pybind11::object Scan(const pybind11::handle& start,
                        const pybind11::handle& end,
                        const pybind11::handle& limit);
  pybind11::object Nodes();  // cairn_cluster_nodes, parsed
  pybind11::object Stats();  // cairn_cluster_stats, parsed
  // cairn_cluster_audit, each JSON line parsed. since/until: None, a
  // datetime or seconds since the Unix epoch (int or float).
  pybind11::list Audit(const pybind11::object& method,
                       const pybind11::handle& since,
                       const pybind11::handle& until,
                       const pybind11::handle& limit);

  void Close() { state_->Close(); }
  bool closed() const { return state_->closed(); }
  const std::shared_ptr<ClusterState>& state() const { return state_; }

 private:
  std::shared_ptr<ClusterState> state_;
};

// Defines cairn.Cluster (and its write batches) in the extension module.
void DefineCluster(pybind11::module_& m);

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_CLUSTER_H_
