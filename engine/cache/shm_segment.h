// ShmSegment: one named POSIX shared-memory object, mapped read-write.
//
// A thin owner of a Boost.Interprocess shared_memory_object and its
// mapped_region that turns Boost's exceptions into absl::Status and adds
// what Boost lacks: creation with mode 0600 and the memory reserved up front
// (posix_fallocate), so a full /dev/shm fails Create() with
// ResourceExhausted instead of raising SIGBUS on a later first touch.
//
// The segment's contents are the caller's business (see segment_layout.h).
// Not thread-safe to create/destroy; the mapping itself may be used from any
// thread.
#ifndef CAIRN_ENGINE_CACHE_SHM_SEGMENT_H_
#define CAIRN_ENGINE_CACHE_SHM_SEGMENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cairn::cache {

class ShmSegment {
 public:
  // Test fault injection: called at named points; a nonzero return at
  // "create:reserve" is used as the errno of the reservation.
  using Hook = std::function<int(std::string_view point)>;

  // Maps an existing segment whole. NotFound if there is none. A segment of
  // size 0 is returned unmapped (size() == 0, base() == nullptr).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShmSegment>> Attach(
      const std::string& name);

  // Creates a new segment of `size` bytes, mode 0600, reserved and zeroed.
  // Fails with AlreadyExists if the name is taken.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShmSegment>> Create(
      const std::string& name, uint64_t size, const Hook& hook);

  // Removes the name (mappings stay valid). OK if it does not exist.
  [[nodiscard]] static absl::Status Remove(const std::string& name);

  // Ensures every byte of the mapping is backed by memory (a no-op for
  // segments we created); ResourceExhausted otherwise.
  [[nodiscard]] absl::Status Reserve(const Hook& hook = nullptr);

  char* base() const { return static_cast<char*>(region_.get_address()); }
  uint64_t size() const { return size_; }
  const std::string& name() const { return name_; }

 private:
  ShmSegment() = default;

  std::string name_;
  uint64_t size_ = 0;
  boost::interprocess::shared_memory_object shm_;
  boost::interprocess::mapped_region region_;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_SHM_SEGMENT_H_
