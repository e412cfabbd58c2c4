// WriteOptions: the cairn_writeoptions_t for one write call.
//
// Plain writes pass NULL (the C ABI's defaults: no sync), so the hot path
// allocates nothing and no options object is shared between threads (the
// ABI says options objects are used by one thread at a time). A sync write
// gets its own object; its cost is nothing next to the fsync.
#ifndef CAIRN_BINDINGS_PYTHON_WRITE_OPTIONS_H_
#define CAIRN_BINDINGS_PYTHON_WRITE_OPTIONS_H_

#include "cairn/cairn.h"

namespace cairn::python {

class WriteOptions {
 public:
  explicit WriteOptions(bool sync) {
    if (sync) {
      options_ = cairn_writeoptions_create();
      cairn_writeoptions_set_sync(options_, 1);
    }
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
