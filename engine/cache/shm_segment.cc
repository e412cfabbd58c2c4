#include "engine/cache/shm_segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cache/segment_name.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace cairn::cache {
namespace {

std::string PathOf(const std::string& name) {
  return absl::StrCat(kShmDir, name);
}

absl::Status Errno(int err, const std::string& name, std::string_view what) {
  const std::string msg = absl::StrFormat("cache segment %s: %s: %s", name,
                                          what, std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(
          absl::StrCat(msg, " (another user's name)"));
    case ELOOP:
      return absl::PermissionDeniedError(
          absl::StrFormat("cache segment %s: refused: a symbolic link", name));
    case ENOSPC:
    case ENOMEM:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

// Opens `name` without following a symlink or blocking on a FIFO, and
// checks on the descriptor that it is ours. Returns the descriptor.
absl::StatusOr<int> OpenTrusted(const std::string& name, int flags,
                                struct stat* st) {
  const int fd =
      open(PathOf(name).c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Errno(errno, name, "open");
  absl::Status refused;
  if (fstat(fd, st) != 0) {
    refused = Errno(errno, name, "fstat");
  } else if (!S_ISREG(st->st_mode)) {
    refused = absl::PermissionDeniedError(
        absl::StrFormat("cache segment %s: refused: not a regular file", name));
  } else if (st->st_uid != geteuid()) {
    refused = absl::PermissionDeniedError(
        absl::StrFormat("cache segment %s: refused: owned by uid %d, not %d",
                        name, st->st_uid, geteuid()));
  } else if ((st->st_mode & 07777) != 0600) {
    refused = absl::FailedPreconditionError(
        absl::StrFormat("cache segment %s: refused: mode %04o, expected 0600",
                        name, st->st_mode & 07777));
  }
  if (!refused.ok()) {
    close(fd);
    return refused;
  }
  return fd;
}

}  // namespace

ShmSegment::~ShmSegment() {
  if (base_ != nullptr) munmap(base_, size_);
  close(fd_);
}

absl::Status ShmSegment::Map() {
  if (size_ == 0) return absl::OkStatus();
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) return Errno(errno, name_, "mmap");
  base_ = static_cast<char*>(p);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ShmSegment>> ShmSegment::Attach(
    const std::string& name) {
  struct stat st;
  absl::StatusOr<int> fd = OpenTrusted(name, O_RDWR, &st);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<ShmSegment> seg(new ShmSegment(name, *fd));
  seg->size_ = static_cast<uint64_t>(st.st_size);
  if (absl::Status s = seg->Map(); !s.ok()) return s;
  return seg;
}

absl::Status ShmSegment::ReadTrusted(const std::string& name, void* buf,
                                     size_t n, uint64_t* size) {
  struct stat st;
  absl::StatusOr<int> fd = OpenTrusted(name, O_RDONLY, &st);
  if (!fd.ok()) return fd.status();
  *size = static_cast<uint64_t>(st.st_size);
  const ssize_t got = pread(*fd, buf, n, 0);
  const int err = errno;
  close(*fd);
  if (got < 0) return Errno(err, name, "read");
  if (static_cast<size_t>(got) != n) {
    return absl::OutOfRangeError(absl::StrFormat(
        "cache segment %s: %d bytes, shorter than %d", name, got, n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ShmSegment>> ShmSegment::Create(
    const std::string& name, uint64_t size, uint64_t reserve,
    const Hook& hook) {
  const int fd = open(
      PathOf(name).c_str(),
      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(errno, name, "create");
  std::unique_ptr<ShmSegment> seg(new ShmSegment(name, fd));
  seg->size_ = size;
  absl::Status s;
  // O_EXCL made the file ours; the umask may have taken bits from 0600.
  if (fchmod(fd, 0600) != 0) s = Errno(errno, name, "fchmod");
  if (s.ok() && hook) hook("create:opened");
  if (s.ok() && ftruncate(fd, static_cast<off_t>(size)) != 0) {
    s = Errno(errno, name, absl::StrFormat("resize to %d bytes", size));
  }
  if (s.ok()) s = seg->Map();
  if (s.ok()) s = seg->Back(0, reserve, "create:reserve", hook);
  if (!s.ok()) {
    unlink(PathOf(name).c_str());
    return s;
  }
  return seg;
}

absl::Status ShmSegment::Back(uint64_t offset, uint64_t len,
                              std::string_view point, const Hook& hook) {
  len = std::min(len, size_ - std::min(offset, size_));
  if (len == 0) return absl::OkStatus();
  int err = hook ? hook(point) : 0;
  if (err == 0) {
    err = posix_fallocate(fd_, static_cast<off_t>(offset),
                          static_cast<off_t>(len));
  }
  if (err != 0) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "cache segment %s: cannot back %d bytes at %d in shared memory: %s",
        name_, len, offset, std::strerror(err)));
  }
  // Best effort: map the pages now so the first write does not fault. The
  // memory is backed already, so a failure here costs only a page fault.
  if (base_ != nullptr) {
    (void)madvise(base_ + offset, len, MADV_POPULATE_WRITE);
  }
  return absl::OkStatus();
}

absl::Status ShmSegment::Remove(const std::string& name) {
  const std::string path = PathOf(name);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? absl::OkStatus() : Errno(errno, name, "lstat");
  }
  if (st.st_uid != geteuid()) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "cache segment %s: not removed: owned by uid %d, not %d", name,
        st.st_uid, geteuid()));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Errno(errno, name, "remove");
  }
  return absl::OkStatus();
}

}  // namespace cairn::cache
