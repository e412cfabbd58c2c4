// DB.multi_get's fetch: the keys' values through cairn_multi_get, in
// chunks, each without the GIL, then turned into bytes objects with it.
#ifndef CAIRN_BINDINGS_PYTHON_PY_MULTI_GET_H_
#define CAIRN_BINDINGS_PYTHON_PY_MULTI_GET_H_

#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "cairn/cairn.h"

namespace cairn::python {

// Sets out[i] to the value of the key arena[spans[i]] as bytes, or None
// when it is missing; throws (cairn.Error set) on the first failed key.
// `out` has spans.size() items. `db` stays open for the call (the caller
// holds an InFlightCall). GIL held on entry and exit.
void FetchMultiGet(cairn_db_t* db, const std::string& arena,
                   const std::vector<std::pair<size_t, size_t>>& spans,
                   pybind11::list& out);

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_PY_MULTI_GET_H_
