// InfoLog: Cairn's messages go to the database's LOG file, beside LevelDB's.
// (Debian's libleveldb does not export leveldb::Log, so we call Logv.)
// Thread-safe: LevelDB loggers serialise writes. A null logger drops.
#ifndef CAIRN_ENGINE_INFO_LOG_H_
#define CAIRN_ENGINE_INFO_LOG_H_

#include <cstdarg>

#include "leveldb/env.h"

namespace cairn {

__attribute__((format(printf, 2, 3))) inline void InfoLog(
    leveldb::Logger* logger, const char* format, ...) {
  if (logger == nullptr) return;
  va_list ap;
  va_start(ap, format);
  logger->Logv(format, ap);
  va_end(ap);
}

}  // namespace cairn

#endif  // CAIRN_ENGINE_INFO_LOG_H_
