// store.h — what the benchmarks need from a store, shared by CairnStore,
// LevelDbStore, LmdbStore and MapStore. The benchmarks are templates over the
// store type, so the wrappers expose the same inline members and no virtual
// call sits in the timed loop of one store only:
//
//   static constexpr const char* kName      benchmark name ("BM_<kName>Get")
//   static constexpr bool kPersistent       survives close + reopen (the
//                                           fixtures reopen after the load)
//   static constexpr bool kLevelDb          has "leveldb.stats" (the
//                                           fixtures wait for compactions)
//   using Scratch                           per-thread state of Get: a
//                                           buffer, or LMDB's read txn
//   static std::unique_ptr<S> Open(path, StoreOptions, std::string* error)
//   static bool Destroy(path, std::string* error)
//   bool Put(key, value, std::string* error)
//   bool PutBatch(std::span<const Record>, std::string* error)
//   GetResult Get(key, Scratch* scratch, visit, std::string* error)
//       calls visit(std::string_view value) while the value is alive
//   bool Property(name, std::string* value)
//
// Thread safety: Get, Put and PutBatch may be called from several threads
// at once (MapStore: Get only); `scratch` must be per thread, and be
// destroyed before the store.
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
