#include "cluster/master_choice.h"

#include <algorithm>
#include <numeric>

#include "xxhash.h"

namespace cairn::cluster {
namespace {

// Fractional ranks, doubled so they stay integers: for the values sorted by
// `before`, a run of equal values at 1-based positions p..q gets p + q
// (twice the mean rank (p+q)/2).
template <typename Before>
std::vector<uint64_t> DoubledRanks(absl::Span<const uint64_t> values,
                                   Before before) {
  const size_t n = values.size();
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(),
            [&](size_t a, size_t b) { return before(values[a], values[b]); });
  std::vector<uint64_t> doubled(n, 0);
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j + 1 < n && values[idx[j + 1]] == values[idx[i]]) ++j;
    const uint64_t p = i + 1;
    const uint64_t q = j + 1;
    for (size_t k = i; k <= j; ++k) doubled[idx[k]] = p + q;
    i = j + 1;
  }
  return doubled;
}

uint64_t Mix64(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

uint64_t KeyHash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

std::vector<LoadScore> RankByLoad(absl::Span<const LoadSample> samples) {
  const size_t n = samples.size();
  std::vector<uint64_t> w(n), c(n), r(n);
  for (size_t i = 0; i < n; ++i) {
    w[i] = samples[i].capacity;
    c[i] = samples[i].cached_bytes;
    r[i] = samples[i].response_us;
  }
  const auto asc = [](uint64_t a, uint64_t b) { return a < b; };
  const auto desc = [](uint64_t a, uint64_t b) { return a > b; };
  const std::vector<uint64_t> dw = DoubledRanks(w, asc);
  const std::vector<uint64_t> dc = DoubledRanks(c, desc);
  const std::vector<uint64_t> dr = DoubledRanks(r, desc);

  // score = (dw + dc + 2*dr) / 8 exactly; compare the integer numerators.
  std::vector<std::pair<uint64_t, size_t>> eighths(n);
  for (size_t i = 0; i < n; ++i) eighths[i] = {dw[i] + dc[i] + 2 * dr[i], i};
  std::sort(eighths.begin(), eighths.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return samples[a.second].id < samples[b.second].id;
  });
  std::vector<LoadScore> out;
  out.reserve(n);
  for (const auto& [e, i] : eighths) {
    out.push_back(LoadScore{samples[i].id, dw[i] / 2.0, dc[i] / 2.0,
                            dr[i] / 2.0, e / 8.0});
  }
  return out;
}

std::vector<uint32_t> HashOrder(uint64_t key_hash,
                                absl::Span<const uint32_t> available) {
  std::vector<uint32_t> left(available.begin(), available.end());
  std::sort(left.begin(), left.end());
  std::vector<uint32_t> order;
  order.reserve(left.size());
  while (!left.empty()) {
    const size_t i = key_hash % left.size();
    order.push_back(left[i]);
    left.erase(left.begin() + static_cast<ptrdiff_t>(i));
  }
  return order;
}

uint64_t RendezvousWeight(uint64_t key_hash, uint32_t node) {
  return Mix64(key_hash ^ Mix64(0x9e3779b97f4a7c15ull * (node + 1ull)));
}

std::vector<uint32_t> RendezvousOrder(uint64_t key_hash,
                                      absl::Span<const uint32_t> available) {
  std::vector<std::pair<uint64_t, uint32_t>> weighted;
  weighted.reserve(available.size());
  for (uint32_t id : available) {
    weighted.emplace_back(RendezvousWeight(key_hash, id), id);
  }
  std::sort(weighted.begin(), weighted.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second < b.second;
  });
  std::vector<uint32_t> order;
  order.reserve(weighted.size());
  for (const auto& [weight, id] : weighted) order.push_back(id);
  return order;
}

}  // namespace cairn::cluster
