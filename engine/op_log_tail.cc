#include "engine/op_log_tail.h"

#include <algorithm>
#include <string>
#include <utility>

namespace cairn {

size_t OpLogTail::BatchBytes(const Batch& b) {
  // What the allocator hands out for the two blocks (about 16 bytes of
  // its own per block), plus the deque's slot for the batch.
  constexpr size_t kPerBlock = 16;
  return sizeof(Batch) + b.data.capacity() + kPerBlock +
         b.ops.capacity() * sizeof(Entry) + kPerBlock;
}

void OpLogTail::Append(uint64_t first, uint32_t source,
                       absl::Span<const Op> ops) {
  if (ops.empty()) return;
  Batch b;
  b.first = first;
  b.source = source;
  size_t data_bytes = 0;
  for (const Op& op : ops) data_bytes += op.key.size() + op.value.size();
  b.data.reserve(data_bytes);
  b.ops.reserve(ops.size());
  for (const Op& op : ops) {
    b.data.append(op.key.data(), op.key.size());
    b.data.append(op.value.data(), op.value.size());
    // The engine caps keys at 16 MiB and values at 1 GiB (options.cc).
    b.ops.push_back({op.version, static_cast<uint32_t>(op.key.size()),
                     static_cast<uint32_t>(op.value.size()), op.kind});
  }
  b.bytes = BatchBytes(b);
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
  --it;  // from >= front().first, so upper_bound is past the front
  hits_.fetch_add(1, std::memory_order_relaxed);
  // Past the newest batch: nothing new yet, and nothing older is missing.
  if (from >= it->first + it->ops.size()) return true;
  size_t entries = 0;
  for (; it != batches_.end() && it->first <= upto; ++it) {
    const size_t skip = from > it->first ? from - it->first : 0;
    const size_t n = it->ops.size() - skip;
    if (!out->empty() && entries + n > max_entries) break;
    OpLogBatch batch;
    batch.first_sequence = it->first + skip;
    batch.source = it->source;
    batch.ops.resize(n);
    size_t offset = 0;
    for (size_t i = 0; i < skip; ++i) {
      offset += it->ops[i].key_size + it->ops[i].value_size;
    }
    for (size_t i = 0; i < n; ++i) {
      const Entry& e = it->ops[skip + i];
      ShippedOp& op = batch.ops[i];
      op.sequence = batch.first_sequence + i;
      op.kind = e.kind;
      op.version = e.version;
      op.key.assign(it->data, offset, e.key_size);
      offset += e.key_size;
      op.value.assign(it->data, offset, e.value_size);
      offset += e.value_size;
    }
    entries += n;
    out->push_back(std::move(batch));
  }
  return true;
}

uint64_t OpLogTail::first() {
  MutexLock lock(&mu_);
  return batches_.empty() ? 0 : batches_.front().first;
}

OpLogTail::Stats OpLogTail::GetStats() {
  Stats s;
  s.capacity_bytes = capacity_;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  MutexLock lock(&mu_);
  s.bytes = bytes_;
  s.batches = batches_.size();
  s.first_sequence = batches_.empty() ? 0 : batches_.front().first;
  return s;
}

}  // namespace cairn
