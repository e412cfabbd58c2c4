#include "engine/background_env.h"

#include <pthread.h>

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
  BackgroundEnv(leveldb::Env* base, const char* name)
      : EnvWrapper(base),
        name_(std::string(name).substr(0, 15)),
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
  Mutex mu_;
  CondVar work_cv_;
  std::deque<std::pair<void (*)(void*), void*>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

std::unique_ptr<leveldb::Env> NewBackgroundEnv(leveldb::Env* base,
                                               const char* name) {
  return std::make_unique<BackgroundEnv>(base, name);
}

}  // namespace cairn
