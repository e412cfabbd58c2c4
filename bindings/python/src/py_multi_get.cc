#include "py_multi_get.h"

#include <memory>

#include "errors.h"

namespace py = pybind11;

namespace cairn::python {

void FetchMultiGet(cairn_db_t* db, const std::string& arena,
                   const std::vector<std::pair<size_t, size_t>>& spans,
                   py::list& out) {
  // Chunks bound memory and let other threads run between them; each value
  // lands in its own slot of one buffer (no malloc per value). A value
  // longer than its slot is read again on its own with cairn_get.
  constexpr size_t kChunk = 64;
  constexpr size_t kSlot = 256;
  auto values = std::make_unique<char[]>(kChunk * kSlot);
  const char* keys[kChunk];
  size_t key_sizes[kChunk];
  char* slots[kChunk];
  size_t caps[kChunk];
  size_t sizes[kChunk];
  cairn_status_t statuses[kChunk];
  for (size_t i = 0; i < kChunk; ++i) {
    slots[i] = values.get() + i * kSlot;
    caps[i] = kSlot;
  }
  const size_t n = spans.size();
  for (size_t begin = 0; begin < n; begin += kChunk) {
    const size_t count = std::min(kChunk, n - begin);
    for (size_t i = 0; i < count; ++i) {
      keys[i] = arena.data() + spans[begin + i].first;
      key_sizes[i] = spans[begin + i].second;
    }
    char* err = nullptr;
    cairn_status_t s;
    {
      py::gil_scoped_release nogil;
      s = cairn_multi_get(db, nullptr, count, keys, key_sizes, slots, caps,
                          sizes, statuses, &err);
    }
    if (s != CAIRN_OK) ThrowStatus(s, err, "multi_get");
    for (size_t i = 0; i < count; ++i) {
      PyObject* item = nullptr;
      if (statuses[i] == CAIRN_NOT_FOUND) {
        item = Py_NewRef(Py_None);
      } else if (sizes[i] <= kSlot) {
        item = PyBytes_FromStringAndSize(slots[i],
                                         static_cast<Py_ssize_t>(sizes[i]));
      } else {
        char* value = nullptr;
        size_t size = 0;
        s = cairn_get(db, nullptr, keys[i], key_sizes[i], &value, &size, &err);
        if (s == CAIRN_NOT_FOUND) {  // deleted since the batch read it
          cairn_free(err);
          item = Py_NewRef(Py_None);
        } else if (s != CAIRN_OK) {
          ThrowStatus(s, err, "multi_get");
        } else {
          item =
              PyBytes_FromStringAndSize(value, static_cast<Py_ssize_t>(size));
          cairn_free(value);
        }
      }
      if (item == nullptr) throw py::error_already_set();
      PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(begin + i), item);
    }
  }
}

}  // namespace cairn::python
