// DbEnv: what a Db takes from its surroundings, injectable for tests.
//
// Production code passes nothing (DbEnv{}): LevelDB's default Env and the
// wall clock. Tests pass LevelDB's in-memory Env (leveldb::NewMemEnv), a
// fault-injecting Env wrapper that fails writes or drops unsynced data, and
// a time source they control, so crash and clock tests are deterministic.
//
// The Env must outlive every Db opened with it. The database directory and
// its lock file stay on the real filesystem whatever the Env (the lock is an
// flock(2), and shared-memory segment names derive from the real path);
// LevelDB's files go through the Env.
#ifndef CAIRN_ENGINE_DB_ENV_H_
#define CAIRN_ENGINE_DB_ENV_H_

#include <cstdint>
#include <functional>
#include <string_view>

#include "engine/version.h"

namespace leveldb {
class Env;
}

namespace cairn {

struct DbEnv {
  // LevelDB's files; null means leveldb::Env::Default().
  leveldb::Env* env = nullptr;
  // Wall-clock milliseconds for the hybrid clock; empty means the real clock.
  HybridClock::TimeSource now;
  // Monotonic milliseconds for the cache's TTL, shared by every process of
  // the machine; empty means CLOCK_MONOTONIC.
  std::function<uint64_t()> cache_now_ms;
  // Test hook: called at named points so a test can force a race there
  // (as CacheTier's sync points do). Empty in production. Points:
  //   "purge:found"  PurgeTombstones chose tombstones to delete and is
  //                  about to commit (a write may race it here).
  std::function<void(std::string_view point)> sync_point;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_DB_ENV_H_
