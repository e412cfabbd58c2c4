#include "engine/cache/admission.h"

#include <algorithm>
#include <bit>
#include <string>

#include "absl/strings/str_cat.h"

namespace cairn::cache {
namespace {

// Bits of filter per window key: with two bits set per key, a full window
// answers a never-seen key "seen" ~5% of the time (~2% averaged over it).
constexpr uint64_t kBitsPerKey = 8;

// The key hash also picks the instance and the index bucket; remix it so
// the filter's bits are independent of those choices (murmur3 fmix64).
uint64_t Remix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::string_view AdmissionPolicyName(AdmissionPolicy policy) {
  switch (policy) {
    case AdmissionPolicy::kAlways:
      return "always";
    case AdmissionPolicy::kSecondMiss:
      return "second_miss";
  }
  return "?";
}

absl::StatusOr<AdmissionPolicy> ParseAdmissionPolicy(std::string_view name) {
  if (name == "always") return AdmissionPolicy::kAlways;
  if (name == "second_miss") return AdmissionPolicy::kSecondMiss;
  return absl::InvalidArgumentError(
      absl::StrCat("option cache.admission: expected one of always, "
                   "second_miss, got '",
                   std::string(name), "'"));
}

Doorkeeper::Doorkeeper(uint64_t window)
    : window_(std::max<uint64_t>(window, 64)) {
  const uint64_t bits = std::bit_ceil(window_ * kBitsPerKey);
  mask_ = bits - 1;
  words_.reset(new std::atomic<uint64_t>[bits / 64]);
  for (uint64_t i = 0; i < bits / 64; ++i) {
    words_[i].store(0, std::memory_order_relaxed);
  }
}

bool Doorkeeper::Admit(uint64_t hash) {
  const uint64_t h = Remix(hash);
  const uint64_t b1 = h & mask_;
  const uint64_t b2 = (h >> 32 | h << 32) & mask_;
  std::atomic<uint64_t>& w1 = words_[b1 >> 6];
  std::atomic<uint64_t>& w2 = words_[b2 >> 6];
  const uint64_t m1 = uint64_t{1} << (b1 & 63);
  const uint64_t m2 = uint64_t{1} << (b2 & 63);
  if ((w1.load(std::memory_order_relaxed) & m1) != 0 &&
      (w2.load(std::memory_order_relaxed) & m2) != 0) {
    return true;
  }
  w1.fetch_or(m1, std::memory_order_relaxed);
  w2.fetch_or(m2, std::memory_order_relaxed);
  // Exactly one thread sees the count reach the window and clears.
  if (recorded_.fetch_add(1, std::memory_order_relaxed) + 1 == window_) Clear();
  return false;
}

void Doorkeeper::Clear() {
  for (uint64_t i = 0; i <= mask_ >> 6; ++i) {
    words_[i].store(0, std::memory_order_relaxed);
  }
  recorded_.store(0, std::memory_order_relaxed);
  resets_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace cairn::cache
