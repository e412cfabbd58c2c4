#include "engine/cache/page_log.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_format.h"

namespace cairn::cache {

PageLog::PageLog(char* base, SegmentHeader* header, const Geometry& geo,
                 Evictor* evictor, Backer* backer)
    : header_(header),
      geo_(geo),
      pages_(reinterpret_cast<PageDesc*>(base + geo.pages_offset)),
      evictor_(evictor),
      backer_(backer),
      state_(header->alloc) {}

void PageLog::Format() {
  MutexLock lock(&mu_);
  state_ = AllocState{kNoPage, kNoPage, kNoPage, kNoPage, 0, 0};
  for (uint32_t p = geo_.num_pages; p-- > 0;) {
    pages_[p].used = 0;
    pages_[p].pins.store(0, std::memory_order_relaxed);
    PushFree(p);
  }
  header_->data_used.store(0, std::memory_order_relaxed);
}

absl::Status PageLog::Validate() {
  MutexLock lock(&mu_);
  const uint32_t n = geo_.num_pages;
  std::vector<uint8_t> seen(n, 0);
  const uint32_t fifo_last = state_.fifo_last;
  auto walk = [&](uint32_t first, PageState want, uint32_t expect,
                  const char* list) -> absl::Status {
    uint32_t count = 0;
    uint32_t last = kNoPage;
    for (uint32_t p = first; p != kNoPage; p = pages_[p].next) {
      if (p >= n || seen[p] || count >= n ||
          pages_[p].state != static_cast<uint32_t>(want)) {
        return absl::DataLossError(
            absl::StrFormat("page %s list is malformed at page %d", list, p));
      }
      seen[p] = 1;
      last = p;
      ++count;
    }
    if (count != expect) {
      return absl::DataLossError(absl::StrFormat(
          "page %s list has %d pages, header says %d", list, count, expect));
    }
    if (want == PageState::kSealed && last != fifo_last) {
      return absl::DataLossError("page fifo tail mismatch");
    }
    return absl::OkStatus();
  };
  if (absl::Status s =
          walk(state_.free_first, PageState::kFree, state_.free_count, "free");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = walk(state_.fifo_first, PageState::kSealed,
                            state_.sealed_count, "fifo");
      !s.ok()) {
    return s;
  }
  uint64_t used = 0;
  uint32_t in_use = state_.sealed_count + state_.free_count;
  if (state_.head != kNoPage) {
    if (state_.head >= n || seen[state_.head] ||
        pages_[state_.head].state != static_cast<uint32_t>(PageState::kHead)) {
      return absl::DataLossError("head page is malformed");
    }
    seen[state_.head] = 1;
    ++in_use;
  }
  if (in_use != n) {
    return absl::DataLossError(
        absl::StrFormat("%d of %d pages are on no list", n - in_use, n));
  }
  for (uint32_t p = 0; p < n; ++p) {
    if (pages_[p].used > geo_.page_size ||
        (pages_[p].state == static_cast<uint32_t>(PageState::kFree) &&
         pages_[p].used != 0)) {
      return absl::DataLossError(
          absl::StrFormat("page %d claims %d used bytes", p, pages_[p].used));
    }
    used += pages_[p].used;
    pages_[p].pins.store(0, std::memory_order_relaxed);
  }
  if (used != header_->data_used.load(std::memory_order_relaxed)) {
    return absl::DataLossError("page usage does not match the header");
  }
  return absl::OkStatus();
}

bool PageLog::BackUsedPages() {
  MutexLock lock(&mu_);
  for (uint32_t p = 0; p < geo_.num_pages; ++p) {
    if (pages_[p].state == static_cast<uint32_t>(PageState::kFree)) continue;
    // Sealed pages are full to within an item. The head page is backed only
    // as far as it is carved, in whole steps, as Carve left it: backing it
    // whole would make a reattached cache hold up to a page per instance
    // more than a fresh one (Carve backs the rest ahead as it is used).
    const uint64_t len =
        p == state_.head
            ? std::min<uint64_t>(geo_.page_size,
                                 (uint64_t{pages_[p].used} + kBackStep - 1) /
                                     kBackStep * kBackStep)
            : geo_.page_size;
    if (len > 0 && backer_ != nullptr &&
        !backer_->BackData(PageBegin(p), len)) {
      return false;
    }
    if (p == state_.head) backed_end_ = PageBegin(p) + len;
  }
  return true;
}

uint32_t PageLog::PopFree() {
  const uint32_t p = state_.free_first;
  state_.free_first = pages_[p].next;
  --state_.free_count;
  pages_[p].next = kNoPage;
  return p;
}

void PageLog::PushFree(uint32_t p) {
  pages_[p].state = static_cast<uint32_t>(PageState::kFree);
  pages_[p].next = state_.free_first;
  state_.free_first = p;
  ++state_.free_count;
}

void PageLog::SealHead() {
  const uint32_t h = state_.head;
  if (h == kNoPage) return;
  pages_[h].state = static_cast<uint32_t>(PageState::kSealed);
  pages_[h].next = kNoPage;
  if (state_.fifo_last == kNoPage) {
    state_.fifo_first = h;
  } else {
    pages_[state_.fifo_last].next = h;
  }
  state_.fifo_last = h;
  ++state_.sealed_count;
  state_.head = kNoPage;
}

void PageLog::TakeHead() {
  state_.head = PopFree();
  pages_[state_.head].state = static_cast<uint32_t>(PageState::kHead);
  // A recycled page is backed already; backing it again is cheap.
  backed_end_ = PageBegin(state_.head);
}

std::optional<uint64_t> PageLog::Carve(uint32_t bytes) {
  back_failed_ = false;
  const uint32_t h = state_.head;
  if (h == kNoPage || pages_[h].used + uint64_t{bytes} > geo_.page_size) {
    return std::nullopt;
  }
  const uint64_t at = PageBegin(h) + pages_[h].used;
  const uint64_t page_end = PageBegin(h) + geo_.page_size;
  const uint64_t want = std::min(page_end, at + bytes + kBackAhead);
  backed_end_ = std::max(backed_end_, PageBegin(h));
  while (backed_end_ < want) {
    const uint64_t len = std::min(kBackStep, page_end - backed_end_);
    if (backer_ != nullptr && !backer_->BackData(backed_end_, len)) {
      if (backed_end_ < at + bytes) {
        back_failed_ = true;
        return std::nullopt;
      }
      break;  // the item fits in what is backed; try further next time
    }
    backed_end_ += len;
  }
  pages_[h].used += bytes;
  header_->data_used.fetch_add(bytes, std::memory_order_relaxed);
  return at;
}

std::optional<uint64_t> PageLog::AllocateForRelocation(uint32_t bytes) {
  mu_.AssertHeld();
  if (auto at = Carve(bytes)) return at;
  if (state_.free_count == 0) return std::nullopt;
  SealHead();
  TakeHead();
  return Carve(bytes);
}

bool PageLog::EvictOldest() {
  const uint32_t victim = state_.fifo_first;
  if (victim == kNoPage ||
      pages_[victim].pins.load(std::memory_order_acquire) != 0) {
    return false;
  }
  state_.fifo_first = pages_[victim].next;
  if (state_.fifo_first == kNoPage) state_.fifo_last = kNoPage;
  --state_.sealed_count;
  pages_[victim].next = kNoPage;
  pages_[victim].state = static_cast<uint32_t>(PageState::kHead);  // detached
  if (!evictor_->EvictPage(PageBegin(victim), pages_[victim].used)) {
    return false;  // the page stays detached; the instance is failed
  }
  header_->data_used.fetch_sub(pages_[victim].used, std::memory_order_relaxed);
  pages_[victim].used = 0;
  PushFree(victim);
  return true;
}

std::optional<PageLog::Span> PageLog::Allocate(uint32_t bytes) {
  if (bytes == 0 || bytes > geo_.page_size || (bytes & 7) != 0) {
    return std::nullopt;
  }
  MutexLock lock(&mu_);
  // Each round either carves, takes a free page, or evicts one (which frees
  // a page and relocates at most half a page), so this terminates quickly.
  for (uint32_t round = 0; round < 2 * geo_.num_pages + 4; ++round) {
    if (auto at = Carve(bytes)) {
      const uint32_t page = state_.head;
      pages_[page].pins.fetch_add(1, std::memory_order_relaxed);
      return Span{*at, page};
    }
    if (back_failed_) return std::nullopt;  // /dev/shm is full
    if (state_.free_count >= 2 ||
        (state_.free_count == 1 && state_.fifo_first == kNoPage)) {
      SealHead();
      TakeHead();
      continue;
    }
    if (!EvictOldest()) return std::nullopt;
  }
  return std::nullopt;
}

uint32_t PageLog::PageOf(uint64_t pos) const {
  if (pos < geo_.data_offset) return kNoPage;
  const uint64_t p = (pos - geo_.data_offset) / geo_.page_size;
  return p < geo_.num_pages ? static_cast<uint32_t>(p) : kNoPage;
}

bool PageLog::InUsedArea(uint64_t pos) const {
  const uint32_t p = PageOf(pos);
  return p != kNoPage &&
         pages_[p].state != static_cast<uint32_t>(PageState::kFree) &&
         pos < PageBegin(p) + pages_[p].used;
}

}  // namespace cairn::cache
