#include "engine/op_log_tail.h"

#include <algorithm>
#include <string>
#include <utility>

namespace cairn {

void OpLogTail::Append(uint64_t first, uint32_t source,
                       absl::Span<const Op> ops) {
  if (ops.empty()) return;
  Batch b;
  b.first = first;
  b.source = source;
  b.ops.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    ShippedOp op;
    op.sequence = first + i;
    op.kind = ops[i].kind;
    op.version = ops[i].version;
    op.key.assign(ops[i].key.data(), ops[i].key.size());
    op.value.assign(ops[i].value.data(), ops[i].value.size());
    b.bytes += op.key.size() + op.value.size() + sizeof(ShippedOp);
    b.ops.push_back(std::move(op));
  }
  MutexLock lock(&mu_);
  if (!batches_.empty()) {
    const Batch& last = batches_.back();
    if (last.first + last.ops.size() != first) {
      batches_.clear();  // a gap: what follows must not look contiguous
      bytes_ = 0;
    }
  }
  bytes_ += b.bytes;
  batches_.push_back(std::move(b));
  while (batches_.size() > 1 && bytes_ > capacity_) {
    bytes_ -= batches_.front().bytes;
    batches_.pop_front();
  }
}

bool OpLogTail::Read(uint64_t from, uint64_t upto, size_t max_entries,
                     std::vector<OpLogBatch>* out) {
  MutexLock lock(&mu_);
  if (batches_.empty() || from < batches_.front().first) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // The batch holding `from` (batches are contiguous and ordered).
  auto it = std::upper_bound(
      batches_.begin(), batches_.end(), from,
      [](uint64_t seq, const Batch& b) { return seq < b.first; });
  if (it == batches_.begin()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  --it;
  if (from >= it->first + it->ops.size()) {
    // Past the newest batch: nothing new yet, and nothing older is missing.
    hits_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  size_t entries = 0;
  for (; it != batches_.end() && it->first <= upto; ++it) {
    const size_t skip = from > it->first ? from - it->first : 0;
    const size_t n = it->ops.size() - skip;
    if (!out->empty() && entries + n > max_entries) break;
    OpLogBatch batch;
    batch.first_sequence = it->first + skip;
    batch.source = it->source;
    batch.ops.assign(it->ops.begin() + skip, it->ops.end());
    entries += n;
    out->push_back(std::move(batch));
  }
  return true;
}

uint64_t OpLogTail::first() {
  MutexLock lock(&mu_);
  return batches_.empty() ? 0 : batches_.front().first;
}

}  // namespace cairn
