// ReadTrail: which file a LevelDB corruption came from.
//
// LevelDB reports a failed block or log checksum as "Corruption: block
// checksum mismatch" without naming the file. Cairn promises a message that
// does (RELIABILITY R3), so the LevelDB Env is wrapped: every read of a file
// records the file's name in a per-thread trail, and a Corruption status
// produced on that thread is annotated with the file read since the trail
// started, or the few files when there were several (LevelDB's iterators
// step over a damaged block and report it later, so the last file read is
// not always the culprit).
//
// LevelDB checks a checksum on the thread that read the bytes (Get,
// iterators, Open's log and manifest recovery). A ReadTrail starts a new
// trail when an operation starts, so a status produced by another thread (a
// background compaction's error returned by a later write) is never pinned
// on an unrelated file.
//
// Thread safety: the trail is thread-local; the Env wrapper is as
// thread-safe as the Env it wraps.
#ifndef CAIRN_ENGINE_READ_TRAIL_H_
#define CAIRN_ENGINE_READ_TRAIL_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "leveldb/status.h"

namespace leveldb {
class Env;
}

namespace cairn {

// An Env that forwards everything to `base` (not owned) and records each
// sequential or random-access file read in the calling thread's trail.
std::unique_ptr<leveldb::Env> NewReadTrailEnv(leveldb::Env* base);

class ReadTrail {
 public:
  // Starts this thread's trail afresh.
  ReadTrail();
  ReadTrail(const ReadTrail&) = delete;
  ReadTrail& operator=(const ReadTrail&) = delete;

  // The last file read on this thread since its trail started; "" if none.
  static std::string_view LastFile();

  // FromLevelDB(s, context), with the file(s) read appended to a
  // Corruption.
  static absl::Status Convert(const leveldb::Status& s,
                              std::string_view context);
  // Appends " (file <name>)" to a DataLoss status `s` when a file was read,
  // or the files read when there were several.
  static absl::Status Annotate(absl::Status s);
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_READ_TRAIL_H_
