#include "p7_watchdog.h"

#include <dirent.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <vector>

#include "cairn_store.h"

namespace p7 {
namespace {

// Set by SIGINT/SIGTERM/SIGHUP in the worker: phases end early, cleanup
// runs.
volatile sig_atomic_t g_stop = 0;

// The worker, in the watchdog: where it forwards signals.
pid_t g_child = 0;

void OnStopSignal(int) { g_stop = 1; }

void ForwardSignal(int sig) {
  if (g_child > 0) kill(g_child, sig);
}

void HandleStopSignals(void (*handler)(int)) {
  struct sigaction sa = {};
  sa.sa_handler = handler;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

int RunWorker(const std::function<int()>& work) {
  HandleStopSignals(OnStopSignal);
  return work();
}

// Removes what a worker (pid `worker`) may have left behind.
void Cleanup(const std::string& run_dir, pid_t worker) {
  std::error_code ec;
  if (std::filesystem::exists(run_dir + "/db", ec)) {
    std::string error;
    if (!cairn_bench::CairnStore::Destroy(run_dir + "/db", &error)) {
      std::fprintf(stderr, "cleanup: cairn_destroy: %s\n", error.c_str());
    }
  }
  std::filesystem::remove_all(run_dir, ec);
  const std::string prefix = "cairn-p7-" + std::to_string(worker) + "-";
  if (DIR* d = opendir("/dev/shm")) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      if (std::string_view(e->d_name).substr(0, prefix.size()) == prefix) {
        names.push_back(std::string("/") + e->d_name);
      }
    }
    closedir(d);
    for (const std::string& n : names) {
      std::fprintf(stderr, "cleanup: removing leftover segment %s\n",
                   n.c_str());
      shm_unlink(n.c_str());
    }
  }
}

}  // namespace

bool StopRequested() { return g_stop != 0; }

int RunWatched(const std::string& run_dir, const std::function<int()>& work) {
  const char* no_watchdog = std::getenv("CAIRN_P7_NO_WATCHDOG");
  if (no_watchdog != nullptr && *no_watchdog != '\0' &&
      std::strcmp(no_watchdog, "0") != 0) {
    const int rc = RunWorker(work);
    Cleanup(run_dir, getpid());
    return rc;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "cairn_p7: fork: %s\n", std::strerror(errno));
    std::error_code ec;
    std::filesystem::remove_all(run_dir, ec);
    return 2;
  }
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the parent died already
    const int rc = RunWorker(work);
    Cleanup(run_dir, getpid());  // in case the watchdog is gone
    std::fflush(stdout);
    std::fflush(stderr);
    // Do not run the watchdog's exit handlers twice.
    _exit(rc);
  }
  g_child = child;
  HandleStopSignals(ForwardSignal);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  Cleanup(run_dir, child);
  if (WIFSIGNALED(status)) {
    std::fprintf(stderr, "cairn_p7: worker killed by signal %d (%s)\n",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    return 128 + WTERMSIG(status);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace p7
