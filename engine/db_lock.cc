#include "engine/db_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "engine/status.h"

namespace cairn {
namespace {

// The pid recorded by the current owner, or 0 if it has not written it yet.
long ReadOwnerPid(int fd) {
  char buf[32] = {0};
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  long pid = 0;
  if (n <= 0 ||
      !absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buf, n)),
                        &pid)) {
    return 0;
  }
  return pid;
}

// The lock file must be ours alone: a regular file of the effective uid,
// mode 0600. Another user able to open it could hold the lock (flock needs
// only an open descriptor) and keep the database from opening.
absl::Status CheckOurs(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return IoError(
        absl::StrCat("cannot stat lock file '", path, "': ", strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(
        absl::StrCat("lock file '", path, "' refused: not a regular file"));
  }
  if (st.st_uid != geteuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat("lock file '", path, "' refused: owned by uid ", st.st_uid,
                     ", not ", geteuid()));
  }
  // Ours: an older build or the umask may have left other bits set.
  if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
    return IoError(absl::StrCat("cannot set mode 0600 on lock file '", path,
                                "': ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DbLock>> DbLock::Acquire(
    const std::string& dir) {
  std::string path = absl::StrCat(dir, "/", kFileName);
  int fd = open(path.c_str(),
                O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    std::string msg =
        absl::StrCat("cannot open lock file '", path, "': ", strerror(err));
    if (err == ELOOP) msg += " (a symbolic link: refused)";
    return IoError(msg);
  }
  if (absl::Status s = CheckOurs(fd, path); !s.ok()) {
    close(fd);
    return s;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    long pid = ReadOwnerPid(fd);
    close(fd);
    if (err != EWOULDBLOCK) {
      return IoError(absl::StrCat("cannot lock '", path, "': ", strerror(err)));
    }
    std::string owner =
        pid == 0 ? std::string("another process (pid not yet recorded)")
        : pid == getpid() ? absl::StrCat("this process (pid ", pid, ")")
                          : absl::StrCat("process ", pid);
    return BusyError(
        absl::StrCat("database '", dir, "' is already open in ", owner));
  }
  std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) !=
                                   static_cast<ssize_t>(pid.size())) {
    int err = errno;
    close(fd);
    return IoError(
        absl::StrCat("cannot write lock file '", path, "': ", strerror(err)));
  }
  return std::unique_ptr<DbLock>(new DbLock(fd));
}

DbLock::~DbLock() {
  // Closing the descriptor releases the flock. The pid stays in the file; it
  // is only read while someone holds the lock.
  close(fd_);
}

}  // namespace cairn
