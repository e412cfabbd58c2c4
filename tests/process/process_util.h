// Helpers for tests that fork: a temp dir removed on exit, a child process
// that is always reaped (SIGKILLed if still running), and owned C strings.
#ifndef CAIRN_TESTS_PROCESS_PROCESS_UTIL_H_
#define CAIRN_TESTS_PROCESS_PROCESS_UTIL_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "cairn/cairn.h"
#include "tests/support/temp_dir.h"

namespace cairn::testing {

// Destroys the databases it holds through the C ABI.
class TempDir : public BasicTempDir {
 public:
  TempDir()
      : BasicTempDir([](const std::string& db) {
          cairn_destroy(db.c_str(), nullptr);
        }) {}
};

// Runs `body` in a forked child that exits with its return value (never
// returning into gtest). The destructor SIGKILLs and reaps it if needed.
class Child {
 public:
  explicit Child(const std::function<int()>& body);
  ~Child();
  pid_t pid() const { return pid_; }
  void Kill();
  // Waits for exit; returns the exit code, or 128+signal.
  int Wait();

 private:
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
};

// Owns a message returned through errmsg.
class ErrMsg {
 public:
  ~ErrMsg() { cairn_free(msg_); }
  char** out() {
    cairn_free(msg_);
    msg_ = nullptr;
    return &msg_;
  }
  std::string str() const { return msg_ ? msg_ : "(null)"; }

 private:
  char* msg_ = nullptr;
};

cairn_db_t* OpenOrDie(
    const std::string& path,
    std::initializer_list<std::pair<const char*, const char*>> options = {});

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_PROCESS_PROCESS_UTIL_H_
