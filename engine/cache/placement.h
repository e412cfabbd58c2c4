// Placement: which cache instance owns a key.
//
// Keys are hashed once with XXH3 (stable across processes, builds and
// machines — never absl::Hash, which is seeded per process) and the hash is
// mapped to an instance. Today the map is a fixed range reduction over the
// configured instances; the consistent-hash ring replaces it behind this
// interface. `LayoutId()` names the mapping: a warm segment is reused only if
// it was closed under the same layout.
//
// Immutable after construction; thread-safe.
#ifndef CAIRN_ENGINE_CACHE_PLACEMENT_H_
#define CAIRN_ENGINE_CACHE_PLACEMENT_H_

#include <cstdint>
#include <string_view>

namespace cairn::cache {

uint64_t KeyHash(std::string_view key);

class Placement {
 public:
  virtual ~Placement() = default;
  // An index in [0, instances).
  virtual uint32_t InstanceFor(uint64_t key_hash) const = 0;
  virtual uint32_t instances() const = 0;
  virtual uint64_t LayoutId() const = 0;
};

// Lemire's multiply-shift range reduction of the hash: uniform, no division.
class HashPlacement : public Placement {
 public:
  explicit HashPlacement(uint32_t instances) : n_(instances) {}
  uint32_t InstanceFor(uint64_t key_hash) const override {
    return static_cast<uint32_t>(
        (static_cast<unsigned __int128>(key_hash) * n_) >> 64);
  }
  uint32_t instances() const override { return n_; }
  uint64_t LayoutId() const override;

 private:
  uint32_t n_;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_PLACEMENT_H_
