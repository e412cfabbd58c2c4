// ShmSegment: one POSIX shared-memory object in /dev/shm, mapped read-write,
// that this user created and nobody else can have written.
//
// /dev/shm is world-writable, and segment names are predictable, so a name
// proves nothing: another local user may have created the object first
// (with contents of their choosing), or made ours writable, or put a symlink
// there. So Attach trusts only what fstat on the open descriptor shows (no
// race with the name): a regular file, owned by the effective uid, mode
// exactly 0600. Anything else is refused and never mapped. Create uses
// O_CREAT | O_EXCL with mode 0600 whatever the umask, so an existing name is
// never adopted. Removal unlinks only the effective user's own names, so
// another user's file is never deleted (root could, and must not).
//
// Memory follows use: a segment's size is a ceiling, not a reservation.
// Create backs only the first `reserve` bytes; the owner backs the rest in
// steps (Back) before first touching them, so a full /dev/shm shows up as
// ResourceExhausted from Back rather than as SIGBUS on a later write.
//
// Not thread-safe to create/destroy; the mapping and Back may be used from
// any thread.
#ifndef CAIRN_ENGINE_CACHE_SHM_SEGMENT_H_
#define CAIRN_ENGINE_CACHE_SHM_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::cache {

class ShmSegment {
 public:
  // Test fault injection: called at named points; a nonzero return at
  // "create:reserve" or "back:page" is used as the errno of the backing.
  using Hook = std::function<int(std::string_view point)>;

  // Opens an existing segment after checking that it is ours, and maps it
  // whole (a segment of size 0 is returned unmapped). Errors:
  //   NotFound            no such name;
  //   PermissionDenied    not ours: it cannot be opened (squatted), is a
  //                       symlink or not a regular file, or another user
  //                       owns it. Leave it alone;
  //   FailedPrecondition  ours, but its mode is not 0600: someone else may
  //                       have written it. Not to be used; ours to remove;
  //   Unavailable         anything else.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShmSegment>> Attach(
      const std::string& name);

  // Reads the first `n` bytes of an existing segment (without mapping it)
  // after the same checks as Attach, with the same errors; *size gets its
  // size. For scans of segments other processes may hold.
  [[nodiscard]] static absl::Status ReadTrusted(const std::string& name,
                                                void* buf, size_t n,
                                                uint64_t* size);

  // Creates a new segment of `size` bytes, mode 0600, of which the first
  // `reserve` bytes are backed (zeroed). AlreadyExists if the name is taken
  // (by anyone), PermissionDenied if it cannot be created,
  // ResourceExhausted if /dev/shm cannot back `reserve` bytes.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShmSegment>> Create(
      const std::string& name, uint64_t size, uint64_t reserve,
      const Hook& hook);

  // Unlinks the name if it is the effective user's own (checked with
  // lstat; in the sticky /dev/shm nobody else can replace our name).
  // OK if it does not exist; PermissionDenied, and nothing removed, if it
  // belongs to another user.
  [[nodiscard]] static absl::Status Remove(const std::string& name);

  ~ShmSegment();
  ShmSegment(const ShmSegment&) = delete;
  ShmSegment& operator=(const ShmSegment&) = delete;

  // Backs [offset, offset + len) with memory and maps it into this process,
  // so touching it can neither fault on /dev/shm being full nor take a page
  // fault on a hot path. Cheap for bytes already backed. `point` names the
  // hook point. ResourceExhausted if /dev/shm is full.
  [[nodiscard]] absl::Status Back(uint64_t offset, uint64_t len,
                                  std::string_view point,
                                  const Hook& hook = nullptr);

  char* base() const { return base_; }
  uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }

 private:
  ShmSegment(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  [[nodiscard]] absl::Status Map();

  const std::string name_;
  const int fd_;
  uint64_t size_ = 0;
  char* base_ = nullptr;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SHM_SEGMENT_H_
