// PyDb: cairn.DB, an open Cairn database.
//
// Opening, closing, multi_get and batch writes release the GIL; single gets,
// puts and deletes do not (a LevelDB point operation costs about what
// releasing and retaking the GIL does), except sync puts/deletes, which wait
// for an fsync. get, __contains__, put and delete are raw METH_FASTCALL
// methods (py_get.cc) to keep pybind11's dispatch off the hot path.
//
// Thread safety: any thread may use a DB; close() waits for calls running
// without the GIL. See db_state.h for close and fork rules.
#ifndef CAIRN_BINDINGS_PYTHON_PY_DB_H_
#define CAIRN_BINDINGS_PYTHON_PY_DB_H_

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "db_state.h"

namespace cairn::python {

// os.fsencode(path), rejecting embedded NUL bytes (ValueError).
std::string FsPath(const pybind11::object& path);

class PyDb {
 public:
  PyDb(const pybind11::object& path, bool create_if_missing,
       bool error_if_exists, const pybind11::object& options);
  PyDb(const PyDb&) = delete;
  PyDb& operator=(const PyDb&) = delete;

  pybind11::list MultiGet(const pybind11::iterable& keys);
  std::string Property(const std::string& name);
  pybind11::object Stats();
  pybind11::object CacheStats();
  void Close() { state_->Close(); }
  bool closed() const { return state_->closed(); }
  const std::string& path() const { return state_->path(); }
  const std::shared_ptr<DbState>& state() const { return state_; }

 private:
  std::shared_ptr<DbState> state_;
};

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_DB_H_
