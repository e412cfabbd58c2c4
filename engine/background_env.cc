#include "engine/background_env.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "engine/mutex.h"
#include "leveldb/env.h"

namespace cairn {
namespace {

class BackgroundEnv : public leveldb::EnvWrapper {
 public:
  BackgroundEnv(leveldb::Env* base, const char* name, int nice_increment)
      : EnvWrapper(base),
        name_(std::string(name).substr(0, 15)),
        nice_increment_(nice_increment),
        thread_([this] { Run(); }) {}

  ~BackgroundEnv() override {
    {
      MutexLock l(&mu_);
      stopping_ = true;
      work_cv_.SignalAll();
    }
    thread_.join();
  }

  void Schedule(void (*function)(void*), void* arg) override {
    MutexLock l(&mu_);
    queue_.emplace_back(function, arg);
    work_cv_.Signal();
  }

 private:
  void Run() {
    pthread_setname_np(pthread_self(), name_.c_str());
    if (nice_increment_ > 0) {
      // Linux keeps a nice value per thread, inherited from the creator:
      // raising this one's leaves every other thread as it was. Raising
      // needs no privilege; if it fails anyway, the work runs as before.
      const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
      const int nice = getpriority(PRIO_PROCESS, tid);
      setpriority(PRIO_PROCESS, tid, std::min(19, nice + nice_increment_));
    }
    mu_.Lock();
    for (;;) {
      while (queue_.empty() && !stopping_) work_cv_.Wait(&mu_);
      // Queued work runs even when stopping: LevelDB's close waits for the
      // job it scheduled, so none is left by then, but a job is never lost.
      if (queue_.empty()) break;
      std::pair<void (*)(void*), void*> job = queue_.front();
      queue_.pop_front();
      mu_.Unlock();
      job.first(job.second);
      mu_.Lock();
    }
    mu_.Unlock();
  }

  const std::string name_;
  const int nice_increment_;
  Mutex mu_;
  CondVar work_cv_;
  std::deque<std::pair<void (*)(void*), void*>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

std::unique_ptr<leveldb::Env> NewBackgroundEnv(leveldb::Env* base,
                                               const char* name,
                                               int nice_increment) {
  return std::make_unique<BackgroundEnv>(base, name, nice_increment);
}

}  // namespace cairn
