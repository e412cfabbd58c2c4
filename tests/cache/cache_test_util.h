// Helpers for the cache tests: unique segment names that are removed even
// when a test fails, and access to the backing file under /dev/shm.
#ifndef CAIRN_TESTS_CACHE_CACHE_TEST_UTIL_H_
#define CAIRN_TESTS_CACHE_CACHE_TEST_UTIL_H_

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/str_format.h"
#include "engine/cache/shm_instance.h"
#include "gtest/gtest.h"

namespace cairn::cache::testing {

// "/cairn-test-<pid>-<n>-<test name>", removed by the destructor.
class ScopedSegment {
 public:
  ScopedSegment() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string test = info != nullptr ? info->name() : "x";
    for (char& c : test) {
      if (c == '/') c = '_';
    }
    name_ = absl::StrFormat("/cairn-test-%d-%d-%s", getpid(), counter++,
                            test.substr(0, 60));
    ShmInstance::Remove(name_).IgnoreError();
  }
  ~ScopedSegment() { ShmInstance::Remove(name_).IgnoreError(); }

  const std::string& name() const { return name_; }
  std::string path() const { return "/dev/shm" + name_; }

 private:
  std::string name_;
};

inline InstanceConfig SmallConfig(const ScopedSegment& seg,
                                  uint64_t capacity = 1 << 20) {
  InstanceConfig c;
  c.segment_name = seg.name();
  c.capacity_bytes = capacity;
  c.lock_timeout_ms = 2000;
  return c;
}

inline Version V(uint64_t hlc, uint32_t node = 1) { return Version{hlc, node}; }

// Runs fn in a forked child and returns its exit code (or 128 + signal).
// The calling test must be single-threaded at this point.
inline int RunInChild(const std::function<int()>& fn) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 99;
    code = fn();
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace cairn::cache::testing

#endif  // CAIRN_TESTS_CACHE_CACHE_TEST_UTIL_H_
