#include "engine/op_log_trimmer.h"

#include <string>

#include "absl/status/status.h"
#include "engine/info_log.h"
#include "engine/op_log.h"

namespace cairn {

OpLogTrimmer::OpLogTrimmer(OpLog* log, leveldb::Logger* info_log)
    : log_(log), info_log_(info_log), thread_([this] { Run(); }) {}

OpLogTrimmer::~OpLogTrimmer() { thread_.join(); }

void OpLogTrimmer::Run() {
  while (log_->WaitForTrimDue()) {
    absl::Status s = log_->TrimToRetention();
    if (!s.ok()) {
      InfoLog(info_log_, "cairn: op-log trim failed: %s",
              std::string(s.ToString()).c_str());
    }
  }
}

}  // namespace cairn
