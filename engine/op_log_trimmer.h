// OpLogTrimmer: the background thread that keeps an op log within its
// retention (OpLog::TrimToRetention).
//
// The write path never trims: OpLog::Publish() only compares the new
// sequence with the next trim threshold and, past it, wakes this thread.
// The thread trims, logs failures to the database's LOG (a damaged entry
// stops trimming at the damage; the next threshold retries) and waits for
// the next wake-up. It stops when the OpLog closes.
//
// Thread safety: constructed and destroyed by the Db's owner thread. The
// destructor joins the thread, so call OpLog::Close() first; the OpLog and
// the logger must outlive the trimmer.
#ifndef CAIRN_ENGINE_OP_LOG_TRIMMER_H_
#define CAIRN_ENGINE_OP_LOG_TRIMMER_H_

#include <thread>

namespace leveldb {
class Logger;
}

namespace cairn {

class OpLog;

class OpLogTrimmer {
 public:
  OpLogTrimmer(OpLog* log, leveldb::Logger* info_log);
  ~OpLogTrimmer();
  OpLogTrimmer(const OpLogTrimmer&) = delete;
  OpLogTrimmer& operator=(const OpLogTrimmer&) = delete;

 private:
  void Run();

  OpLog* const log_;
  leveldb::Logger* const info_log_;
  std::thread thread_;
};

}  // namespace cairn

#endif  // CAIRN_ENGINE_OP_LOG_TRIMMER_H_
