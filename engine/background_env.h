// BackgroundEnv: a LevelDB Env whose background work (memtable flushes and
// compactions) runs on a thread of its own.
//
// LevelDB's default Env runs the background work of every database in the
// process on one shared thread. A process that opens two busy databases (a
// host with several stores, two replicating nodes in one test or benchmark)
// then flushes and compacts them one after the other, and while one waits
// its writers reach LevelDB's level-0 slowdown (a 1 ms sleep per write) and
// stop. RocksDB sizes a thread pool per Env for the same reason. A Db opened
// with `own_background_thread` (the default) wraps its Env in one of these,
// so each database compacts independently, as it would in its own process.
// RocksDB likewise lets its compaction threads run at a lower CPU priority
// (Env::LowerThreadPoolCPUPriority); `background_nice` does that here.
//
// LevelDB schedules at most one background job per database at a time, so
// one thread per database is all it can use. Everything other than
// Schedule() is forwarded to the wrapped Env.
//
// Thread safety: Schedule() may be called from any thread (LevelDB calls it
// with its mutex held; it only queues). The destructor runs what is queued,
// then joins; destroy it after the database that uses it is closed.
#ifndef CAIRN_ENGINE_BACKGROUND_ENV_H_
#define CAIRN_ENGINE_BACKGROUND_ENV_H_

#include <memory>

namespace leveldb {
class Env;
}

namespace cairn {

// Wraps `base` (not owned; it must outlive the result). `name` labels the
// thread (at most 15 characters are kept, as Linux allows). The thread runs
// `nice_increment` (0-19) above the nice value of the thread that creates
// it, capped at 19: on busy cores the foreground threads run first.
std::unique_ptr<leveldb::Env> NewBackgroundEnv(leveldb::Env* base,
                                               const char* name,
                                               int nice_increment = 0);

}  // namespace cairn

#endif  // CAIRN_ENGINE_BACKGROUND_ENV_H_
