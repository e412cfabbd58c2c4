#include "engine/op_log_tail.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"

namespace cairn {

size_t OpLogTail::BatchBytes(const Batch& b) {
  // What the allocator hands out for the three blocks (about 16 bytes of
  // its own per block; the batch's block also holds the shared_ptr's
  // control block, two counters and a vtable pointer), plus the deque's slot.
  constexpr size_t kPerBlock = 16;
  constexpr size_t kControlBlock = 16;
  return sizeof(std::shared_ptr<const Batch>) + sizeof(Batch) +
         kControlBlock + kPerBlock + b.data.capacity() + kPerBlock +
         b.ops.capacity() * sizeof(Entry) + kPerBlock;
}

void OpLogTail::Append(uint64_t first, uint32_t source,
                       absl::Span<const Op> ops) {
  if (ops.empty()) return;
  auto b = std::make_shared<Batch>();
  b->first = first;
  b->source = source;
  size_t data_bytes = 0;
  for (const Op& op : ops) data_bytes += op.key.size() + op.value.size();
  b->data.reserve(data_bytes);
  b->ops.reserve(ops.size());
  for (const Op& op : ops) {
    b->data.append(op.key.data(), op.key.size());
    b->data.append(op.value.data(), op.value.size());
    // The engine caps keys at 16 MiB and values at 1 GiB (options.cc).
    b->ops.push_back({op.version, static_cast<uint32_t>(op.key.size()),
                      static_cast<uint32_t>(op.value.size()), op.kind});
  }
  b->bytes = BatchBytes(*b);
  // Freed after the lock is released (a reader may still hold some). A
  // full tail drops one batch per append: no heap block for that.
  absl::InlinedVector<std::shared_ptr<const Batch>, 2> dropped;
  MutexLock lock(&mu_);
  if (!batches_.empty()) {
    const Batch& last = *batches_.back();
    if (last.first + last.ops.size() != first) {
      // A gap: what follows must not look contiguous.
      dropped.assign(std::make_move_iterator(batches_.begin()),
                     std::make_move_iterator(batches_.end()));
      batches_.clear();
      bytes_ = 0;
    }
  }
  bytes_ += b->bytes;
  batches_.push_back(std::move(b));
  while (batches_.size() > 1 && bytes_ > capacity_) {
    bytes_ -= batches_.front()->bytes;
    dropped.push_back(std::move(batches_.front()));
    batches_.pop_front();
  }
}

bool OpLogTail::Read(uint64_t from, uint64_t upto, size_t max_entries,
                     std::vector<OpLogBatch>* out) {
  // Under the lock only the batches are picked; their entries are copied
  // out after it, so a read does not hold up the write path's Append.
  thread_local std::vector<std::shared_ptr<const Batch>> picked;
  picked.clear();
  {
    MutexLock lock(&mu_);
    if (batches_.empty() || from < batches_.front()->first) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    // The batch holding `from` (batches are contiguous and ordered).
    auto it = std::upper_bound(batches_.begin(), batches_.end(), from,
                               [](uint64_t seq, const auto& b) {
                                 return seq < b->first;
                               });
    --it;  // from >= front()->first, so upper_bound is past the front
    hits_.fetch_add(1, std::memory_order_relaxed);
    size_t entries = 0;
    for (; it != batches_.end() && (*it)->first <= upto; ++it) {
      const Batch& b = **it;
      if (from >= b.first + b.ops.size()) break;  // nothing new yet
      const size_t skip = from > b.first ? from - b.first : 0;
      const size_t n = b.ops.size() - skip;
      if (!picked.empty() && entries + n > max_entries) break;
      entries += n;
      picked.push_back(*it);
    }
  }
  for (const std::shared_ptr<const Batch>& bp : picked) {
    const Batch& b = *bp;
    const size_t skip = from > b.first ? from - b.first : 0;
    const size_t n = b.ops.size() - skip;
    OpLogBatch batch;
    batch.first_sequence = b.first + skip;
    batch.source = b.source;
    batch.ops.resize(n);
    size_t offset = 0;
    for (size_t i = 0; i < skip; ++i) {
      offset += b.ops[i].key_size + b.ops[i].value_size;
    }
    for (size_t i = 0; i < n; ++i) {
      const Entry& e = b.ops[skip + i];
      ShippedOp& op = batch.ops[i];
      op.sequence = batch.first_sequence + i;
      op.kind = e.kind;
      op.version = e.version;
      op.key.assign(b.data, offset, e.key_size);
      offset += e.key_size;
      op.value.assign(b.data, offset, e.value_size);
      offset += e.value_size;
    }
    out->push_back(std::move(batch));
  }
  picked.clear();  // the batches are not pinned between reads
  return true;
}

uint64_t OpLogTail::first() {
  MutexLock lock(&mu_);
  return batches_.empty() ? 0 : batches_.front()->first;
}

OpLogTail::Stats OpLogTail::GetStats() {
  Stats s;
  s.capacity_bytes = capacity_;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  MutexLock lock(&mu_);
  s.bytes = bytes_;
  s.batches = batches_.size();
  s.first_sequence = batches_.empty() ? 0 : batches_.front()->first;
  return s;
}

}  // namespace cairn
