#include "tests/process/process_util.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace cairn::testing {

TempDir::TempDir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "cairn-ptest-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  // cairn_destroy each database first: it also removes the shared-memory
  // cache segments, which live outside the directory.
  std::error_code ec;
  std::vector<std::string> dbs;
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->path().filename() == "CURRENT") {
      dbs.push_back(it->path().parent_path().string());
    }
  }
  for (const std::string& db : dbs) cairn_destroy(db.c_str(), nullptr);
  std::filesystem::remove_all(path_, ec);
}

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
