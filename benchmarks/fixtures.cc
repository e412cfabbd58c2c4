#include "fixtures.h"

#include <mutex>
#include <utility>

namespace cairn_bench {
namespace {

std::mutex& CleanupMutex() {
  static std::mutex mutex;
  return mutex;
}

std::vector<std::function<void()>>& Cleanups() {
  static std::vector<std::function<void()>> cleanups;
  return cleanups;
}

}  // namespace

const ValuePool& Values() {
  static const ValuePool pool;
  return pool;
}

void AtTeardown(std::function<void()> cleanup) {
  std::lock_guard<std::mutex> lock(CleanupMutex());
  Cleanups().push_back(std::move(cleanup));
}

void CloseAndDestroyAll() {
  std::vector<std::function<void()>> cleanups;
  {
    std::lock_guard<std::mutex> lock(CleanupMutex());
    cleanups.swap(Cleanups());
  }
  for (auto it = cleanups.rbegin(); it != cleanups.rend(); ++it) (*it)();
}

}  // namespace cairn_bench
