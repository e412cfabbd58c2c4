#include "tests/process/process_util.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace cairn::testing {

Child::Child(const std::function<int()>& body) {
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    int rc = 1;
    try {
      rc = body();
    } catch (...) {
      rc = 99;
    }
    _exit(rc);
  }
}

Child::~Child() {
  if (!reaped_) {
    Kill();
    Wait();
  }
}

void Child::Kill() {
  if (!reaped_) kill(pid_, SIGKILL);
}

int Child::Wait() {
  if (!reaped_) {
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

cairn_db_t* OpenOrDie(
    const std::string& path,
    std::initializer_list<std::pair<const char*, const char*>> options) {
  cairn_options_t* o = cairn_options_create();
  cairn_options_set(o, "create_if_missing", "true", nullptr);
  for (const auto& [name, value] : options) {
    if (cairn_options_set(o, name, value, nullptr) != CAIRN_OK) abort();
  }
  cairn_db_t* db = nullptr;
  char* err = nullptr;
  if (cairn_open(o, path.c_str(), &db, &err) != CAIRN_OK) {
    fprintf(stderr, "open %s: %s\n", path.c_str(), err);
    abort();
  }
  cairn_options_destroy(o);
  return db;
}

}  // namespace cairn::testing
