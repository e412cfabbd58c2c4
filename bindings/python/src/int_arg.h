// Python ints as the C ABI's unsigned integers, checked before anything
// reaches C.
//
// Thread safety: call with the GIL held.
#ifndef CAIRN_BINDINGS_PYTHON_INT_ARG_H_
#define CAIRN_BINDINGS_PYTHON_INT_ARG_H_

#include <pybind11/pybind11.h>

#include <cstdint>

namespace cairn::python {

// A Python int (anything with __index__ except bool) as an unsigned C
// integer of at most `max`: TypeError for other types, InvalidArgumentError
// (a ValueError) when negative, OverflowError above `max`. Throws
// pybind11::error_already_set (or pybind11::type_error).
uint64_t UnsignedArg(const pybind11::handle& obj, const char* name,
                     uint64_t max);

}  // namespace cairn::python

#endif  // CAIRN_BINDINGS_PYTHON_INT_ARG_H_
