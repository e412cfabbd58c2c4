// Per-call read options (verify_checksums, fill_cache) and the creation of
// C iterators, shared by DB.get, Snapshot.get and the iterator classes.
//
// Each flag is None (the default) or a truth value. None leaves the C ABI's
// default in place, which is the database's default: so a database that
// verifies block checksums by default keeps doing so unless a call says
// verify_checksums=False.
//
// Thread safety: call with the GIL held.
#ifndef CAIRN_BINDINGS_PYTHON_READ_OPTIONS_H_
#define CAIRN_BINDINGS_PYTHON_READ_OPTIONS_H_

#include <Python.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>

#include "cairn/cairn.h"
#include "db_state.h"

namespace cairn::python {

struct ReadFlags {
  int verify_checksums = -1;  // -1: the database's default; else 0 or 1
  int fill_cache = -1;
  bool is_default() const { return verify_checksums < 0 && fill_cache < 0; }
};

// Parses one flag: nullptr or None -> -1, else the argument's truth value.
// Returns false with a Python error set when truth testing fails.
[[nodiscard]] bool ParseReadFlag(PyObject* arg, int* out);
// Both flags, throwing pybind11::error_already_set on failure.
ReadFlags ReadFlagsOrThrow(const pybind11::handle& verify_checksums,
                           const pybind11::handle& fill_cache);

// Owns a cairn_readoptions_t.
class ReadOptions {
 public:
  ReadOptions() : options_(cairn_readoptions_create()) {}
  ~ReadOptions() { cairn_readoptions_destroy(options_); }
  ReadOptions(const ReadOptions&) = delete;
  ReadOptions& operator=(const ReadOptions&) = delete;

  // Sets the flags that are not -1, and the snapshot when not null.
  void Apply(const ReadFlags& flags, const cairn_snapshot_t* snapshot);
  cairn_readoptions_t* get() const { return options_; }

 private:
  cairn_readoptions_t* options_;
};

// A new C iterator over [lower, upper) (each bound optional) at `snapshot`
// (may be null) with `flags`. Throws a cairn.Error on failure (ClosedError
// once the database is closed).
cairn_iterator_t* NewCIterator(DbState& state,
                               const std::optional<std::string>& lower,
                               const std::optional<std::string>& upper,
                               const ReadFlags& flags,
                               const cairn_snapshot_t* snapshot);

// The smallest key greater than every key that starts with `prefix`, or
// none when the prefix is empty or all 0xff bytes (no upper bound needed).
std::optional<std::string> PrefixSuccessor(std::string prefix);

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_READ_OPTIONS_H_
