// cairn.DB's replication calls: replication(), add_peer, remove_peer,
// resync_peer and compare, over the C ABI 1.3 calls cairn_peer_* and
// cairn_replication_compare.
//
// Each may wait on the network, so each runs without the GIL, registered as
// in flight so close() waits for it.
#include <limits>
#include <string>

#include "errors.h"
#include "int_arg.h"
#include "py_db.h"

namespace py = pybind11;

namespace cairn::python {
namespace {

constexpr uint64_t kMaxId = std::numeric_limits<uint32_t>::max();

py::object ParseJson(const std::string& text) {
  return py::module_::import("json").attr("loads")(text);
}

// Runs `call(db, &err)` without the GIL; raises its failure with `what`.
template <typename F>
void PeerCall(DbState& state, const char* what, F&& call) {
  cairn_status_t s;
  char* err = nullptr;
  {
    InFlightCall in_flight(state);
    py::gil_scoped_release nogil;
    s = call(in_flight.db(), &err);
  }
  if (s != CAIRN_OK) ThrowStatus(s, err, what);
}

}  // namespace

py::object PyDb::Replication() {
  return ParseJson(Property("cairn.replication"));
}

void PyDb::AddPeer(const std::string& spec) {
  if (spec.find('\0') != std::string::npos) {
    ThrowError(ErrorClass(CAIRN_INVALID_ARGUMENT),
               "add_peer: spec contains a NUL byte");
  }
  PeerCall(*state_, "add_peer", [&](cairn_db_t* db, char** err) {
    return cairn_peer_add(db, spec.c_str(), err);
  });
}

void PyDb::RemovePeer(const py::handle& id) {
  const auto node = static_cast<uint32_t>(UnsignedArg(id, "id", kMaxId));
  PeerCall(*state_, "remove_peer", [&](cairn_db_t* db, char** err) {
    return cairn_peer_remove(db, node, err);
  });
}

void PyDb::ResyncPeer(const py::handle& id) {
  const auto node = static_cast<uint32_t>(UnsignedArg(id, "id", kMaxId));
  PeerCall(*state_, "resync_peer", [&](cairn_db_t* db, char** err) {
    return cairn_peer_resync(db, node, err);
  });
}

py::object PyDb::Compare(const py::handle& timeout_ms) {
  const auto timeout =
      static_cast<uint32_t>(UnsignedArg(timeout_ms, "timeout_ms", kMaxId));
  std::string report;
  PeerCall(*state_, "compare", [&](cairn_db_t* db, char** err) {
    char* text = nullptr;
    cairn_status_t s =
        cairn_replication_compare(db, timeout, nullptr, &text, err);
    if (text != nullptr) {
      report.assign(text);
      cairn_free(text);
    }
    return s;
  });
  // The report's "agree" is the verdict the C call's all_agree carries.
  return ParseJson(report);
}

}  // namespace cairn::python
