#include "engine/ring/ring.h"

#include <xxhash.h>

#include <algorithm>
#include <numeric>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace cairn::ring {
namespace {

constexpr uint16_t kUnassigned = 0xffff;

// Stable per-(bucket, salt) score: decides which buckets move.
uint64_t Score(uint32_t bucket, uint32_t salt) {
  const uint32_t words[2] = {bucket, salt};
  return XXH3_64bits(words, sizeof(words));
}

absl::Status CheckMembers(const std::vector<Member>& members) {
  if (members.empty()) {
    return absl::InvalidArgumentError("a ring needs at least one instance");
  }
  if (members.size() > kMaxMembers) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ring holds at most ", kMaxMembers, " instances, not ",
                     members.size()));
  }
  absl::flat_hash_set<uint32_t> ids;
  for (const Member& m : members) {
    if (m.capacity_bytes == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance ", m.id, " has capacity 0"));
    }
    if (!ids.insert(m.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("instance id ", m.id, " appears twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<uint32_t> Quotas(const std::vector<Member>& members) {
  const size_t n = members.size();
  std::vector<uint32_t> quota(n, 0);
  if (n == 0) return quota;
  long double total = 0;
  for (const Member& m : members)
    total += static_cast<long double>(m.capacity_bytes);
  std::vector<long double> frac(n);
  uint32_t assigned = 0;
  for (size_t i = 0; i < n; ++i) {
    const long double ideal =
        kBuckets * static_cast<long double>(members[i].capacity_bytes) / total;
    quota[i] = std::max<uint32_t>(1, static_cast<uint32_t>(ideal));
    frac[i] = ideal - static_cast<long double>(quota[i]);
    assigned += quota[i];
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Largest remainder first (ties: lower index), to fill up to kBuckets.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return frac[a] > frac[b]; });
  for (size_t k = 0; assigned < kBuckets; k = (k + 1) % n) {
    ++quota[order[k]];
    ++assigned;
  }
  // The minimum of one bucket can overshoot: take back from the largest.
  while (assigned > kBuckets) {
    size_t big = static_cast<size_t>(
        std::max_element(quota.begin(), quota.end()) - quota.begin());
    --quota[big];
    --assigned;
  }
  return quota;
}

void Ring::Rebalance(const std::vector<Member>& members,
                     std::vector<uint16_t>* table) {
  const std::vector<uint32_t> quota = Quotas(members);
  const size_t n = members.size();
  std::vector<std::vector<uint32_t>> owned(n);
  std::vector<uint32_t> pool;
  for (uint32_t b = 0; b < kBuckets; ++b) {
    const uint16_t owner = (*table)[b];
    if (owner == kUnassigned || owner >= n) {
      pool.push_back(b);
    } else {
      owned[owner].push_back(b);
    }
  }
  // Members above quota give up the buckets that score highest for them.
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint32_t>& mine = owned[i];
    if (mine.size() <= quota[i]) continue;
    const uint32_t id = members[i].id;
    const size_t give = mine.size() - quota[i];
    std::nth_element(
        mine.begin(), mine.begin() + give, mine.end(),
        [id](uint32_t a, uint32_t b) { return Score(a, id) > Score(b, id); });
    pool.insert(pool.end(), mine.begin(), mine.begin() + give);
    mine.erase(mine.begin(), mine.begin() + give);
  }
  // Scatter the pool, then deal it to members below quota, in index order.
  std::sort(pool.begin(), pool.end(), [](uint32_t a, uint32_t b) {
    return Score(a, 0xffffffffu) < Score(b, 0xffffffffu);
  });
  size_t next = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t have = owned[i].size(); have < quota[i]; ++have) {
      (*table)[pool[next++]] = static_cast<uint16_t>(i);
    }
  }
}

absl::StatusOr<Ring> Ring::Create(std::vector<Member> members) {
  if (absl::Status s = CheckMembers(members); !s.ok()) return s;
  Ring ring;
  ring.members_ = std::move(members);
  ring.table_.assign(kBuckets, kUnassigned);
  Rebalance(ring.members_, &ring.table_);
  return ring;
}

absl::StatusOr<Ring> Ring::FromParts(std::vector<Member> members,
                                     std::vector<uint16_t> table) {
  if (absl::Status s = CheckMembers(members); !s.ok()) return s;
  if (table.size() != kBuckets) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ring table has ", table.size(), " buckets, expected ", kBuckets));
  }
  std::vector<uint32_t> counts(members.size(), 0);
  for (uint16_t owner : table) {
    if (owner >= members.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ring table names member ", owner, " of ", members.size()));
    }
    ++counts[owner];
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("ring member ", members[i].id, " owns no bucket"));
    }
  }
  Ring ring;
  ring.members_ = std::move(members);
  ring.table_ = std::move(table);
  return ring;
}

absl::StatusOr<Ring> Ring::WithAdded(const Member& member) const {
  std::vector<Member> members = members_;
  members.push_back(member);
  if (absl::Status s = CheckMembers(members); !s.ok()) return s;
  Ring next;
  next.members_ = std::move(members);
  next.table_ = table_;
  Rebalance(next.members_, &next.table_);
  return next;
}

absl::StatusOr<Ring> Ring::WithRemoved(uint32_t id) const {
  const int gone = IndexOf(id);
  if (gone < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("instance ", id, " is not in the ring"));
  }
  if (members_.size() == 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("instance ", id, " is the last one"));
  }
  Ring next;
  next.members_ = members_;
  next.members_.erase(next.members_.begin() + gone);
  next.table_ = table_;
  for (uint16_t& owner : next.table_) {
    if (owner == gone) {
      owner = kUnassigned;
    } else if (owner > gone) {
      --owner;
    }
  }
  Rebalance(next.members_, &next.table_);
  return next;
}

int Ring::IndexOf(uint32_t id) const {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (members_[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

std::vector<uint32_t> Ring::BucketCounts() const {
  std::vector<uint32_t> counts(members_.size(), 0);
  for (uint16_t owner : table_) ++counts[owner];
  return counts;
}

std::vector<uint32_t> Ring::BucketsLostTo(const Ring& next) const {
  std::vector<uint32_t> lost(members_.size(), 0);
  for (uint32_t b = 0; b < kBuckets; ++b) {
    const uint16_t mine = table_[b];
    if (members_[mine].id != next.members_[next.table_[b]].id) ++lost[mine];
  }
  return lost;
}

uint64_t Ring::Fingerprint() const {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  for (const Member& m : members_) {
    XXH3_64bits_update(st, &m.id, sizeof(m.id));
    XXH3_64bits_update(st, &m.capacity_bytes, sizeof(m.capacity_bytes));
  }
  XXH3_64bits_update(st, table_.data(), table_.size() * sizeof(uint16_t));
  const uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

}  // namespace cairn::ring
