// store.h — what the benchmarks need from a store, shared by CairnStore and
// LevelDbStore. The benchmarks are templates over the store type, so both
// wrappers expose the same inline members and no virtual call sits in the
// timed loop of one store only:
//
//   static std::unique_ptr<S> Open(path, StoreOptions, std::string* error)
//   static bool Destroy(path, std::string* error)
//   bool Put(key, value, std::string* error)
//   bool PutBatch(std::span<const Record>, std::string* error)
//   GetResult Get(key, std::string* scratch, visit, std::string* error)
//       calls visit(std::string_view value) while the value is alive
//   bool Property(name, std::string* value)
//
// Thread safety: Get, Put and PutBatch may be called from several threads
// at once; `scratch` must be per thread.
#ifndef CAIRN_BENCHMARKS_STORE_H_
#define CAIRN_BENCHMARKS_STORE_H_

#include <string_view>

#include "workload.h"

namespace cairn_bench {

enum class GetResult { kFound, kNotFound, kError };

struct Record {
  char key[kKeySize];
  std::string_view value;

  std::string_view Key() const { return std::string_view(key, kKeySize); }
};

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_STORE_H_
