#include "engine/cache/shm_segment.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/permissions.hpp>

#include "absl/strings/str_format.h"

namespace cairn::cache {
namespace bip = boost::interprocess;

namespace {

absl::Status FromBoost(const bip::interprocess_exception& e,
                       std::string_view what, const std::string& name) {
  const std::string msg = absl::StrFormat("cache segment %s: %s: %s", name,
                                          what, e.what());
  switch (e.get_error_code()) {
    case bip::not_found_error:
      return absl::NotFoundError(msg);
    case bip::already_exists_error:
      return absl::AlreadyExistsError(msg);
    case bip::security_error:
      return absl::PermissionDeniedError(msg);
    case bip::out_of_space_error:
    case bip::out_of_memory_error:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShmSegment>> ShmSegment::Attach(
    const std::string& name) {
  std::unique_ptr<ShmSegment> seg(new ShmSegment);
  seg->name_ = name;
  try {
    seg->shm_ = bip::shared_memory_object(bip::open_only, name.c_str(),
                                          bip::read_write);
    bip::offset_t size = 0;
    if (!seg->shm_.get_size(size) || size < 0) {
      return absl::UnavailableError(
          absl::StrFormat("cache segment %s: cannot read its size", name));
    }
    seg->size_ = static_cast<uint64_t>(size);
    if (seg->size_ > 0) {
      seg->region_ = bip::mapped_region(seg->shm_, bip::read_write, 0,
                                        seg->size_);
    }
  } catch (const bip::interprocess_exception& e) {
    return FromBoost(e, "attach", name);
  }
  return seg;
}

absl::StatusOr<std::unique_ptr<ShmSegment>> ShmSegment::Create(
    const std::string& name, uint64_t size, const Hook& hook) {
  std::unique_ptr<ShmSegment> seg(new ShmSegment);
  seg->name_ = name;
  seg->size_ = size;
  try {
    bip::permissions perm;
    perm.set_permissions(0600);
    seg->shm_ = bip::shared_memory_object(bip::create_only, name.c_str(),
                                          bip::read_write, perm);
    if (hook) hook("create:opened");
    if (absl::Status s = seg->Reserve(hook); !s.ok()) {
      bip::shared_memory_object::remove(name.c_str());
      return s;
    }
    seg->region_ = bip::mapped_region(seg->shm_, bip::read_write, 0, size);
  } catch (const bip::interprocess_exception& e) {
    bip::shared_memory_object::remove(name.c_str());
    return FromBoost(e, "create", name);
  }
  return seg;
}

absl::Status ShmSegment::Reserve(const Hook& hook) {
  if (size_ == 0) return absl::OkStatus();
  int err = hook ? hook("create:reserve") : 0;
  if (err == 0) {
    err = posix_fallocate(shm_.get_mapping_handle().handle, 0,
                          static_cast<off_t>(size_));
  }
  if (err != 0) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "cache segment %s: cannot reserve %d bytes in shared memory: %s",
        name_, size_, std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status ShmSegment::Remove(const std::string& name) {
  try {
    if (!bip::shared_memory_object::remove(name.c_str()) && errno != ENOENT) {
      return absl::UnavailableError(absl::StrFormat(
          "cache segment %s: cannot remove: %s", name, std::strerror(errno)));
    }
  } catch (const bip::interprocess_exception& e) {
    return FromBoost(e, "remove", name);
  }
  return absl::OkStatus();
}

}  // namespace cairn::cache
