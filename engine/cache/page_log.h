// PageLog: the segment's data area as a log of fixed-size pages.
//
// Items are appended to the head page (a bump allocation, 8-byte aligned, so
// there is no per-item allocator metadata and no size-class slack). A full
// head page is sealed into a FIFO. When only one free page is left, the
// oldest sealed page is evicted: the Evictor unlinks each of its live items
// from the index, or relocates recently referenced ones to the head (CLOCK's
// second chance, bounded to half a page per eviction so progress is
// guaranteed), and the page returns to the free list. One free page is kept
// in reserve for those relocations.
//
// Fragmentation is bounded: space held by items that were replaced or
// invalidated is reclaimed when their page reaches the FIFO's end, and the
// only other waste is the unused tail of sealed pages (< one item per page).
// Usage never exceeds the data area: pages are never created, only reused.
//
// Memory follows use: a fresh segment's data pages are not backed by
// memory. The Backer backs the head page ahead of the carve point, in steps
// of kBackStep, so an item is never the first touch of a page (no page
// fault, no SIGBUS when /dev/shm is full) and an empty cache keeps only its
// metadata resident. If backing fails, the allocation fails (the item is
// simply not cached).
//
// Pins: an allocation pins its page until the caller has written the item
// and linked or abandoned it (Unpin); a pinned page is never evicted, so a
// slow writer never writes into a recycled page.
//
// Concurrency: Allocate and Validate take the PageLog's mutex (the state
// lives in the segment, but only one process attaches at a time, so a
// process-local mutex suffices). The Evictor runs under that mutex and
// may call AllocateForRelocation only. Unpin is lock-free. Thread-safe.
#ifndef CAIRN_ENGINE_CACHE_PAGE_LOG_H_
#define CAIRN_ENGINE_CACHE_PAGE_LOG_H_

#include <cstdint>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "engine/cache/segment_layout.h"
#include "engine/mutex.h"

namespace cairn::cache {

class PageLog {
 public:
  class Evictor {
   public:
    virtual ~Evictor() = default;
    // Unlinks or relocates every live item in [begin, begin + used). Runs
    // under the PageLog mutex. False if it could not finish (the instance is
    // then unusable and the page is not reused).
    virtual bool EvictPage(uint64_t begin, uint32_t used) = 0;
  };

  class Backer {
   public:
    virtual ~Backer() = default;
    // Backs [offset, offset + len) of the segment; false if it cannot.
    virtual bool BackData(uint64_t offset, uint64_t len) = 0;
  };

  // Backing granularity and how far ahead of the carve point it runs.
  static constexpr uint64_t kBackStep = 64 << 10;
  static constexpr uint64_t kBackAhead = 64 << 10;

  struct Span {
    uint64_t offset;  // byte offset of the allocation in the segment
    uint32_t page;
  };

  // `geo` is the segment's geometry (also stored in the header).
  PageLog(char* base, SegmentHeader* header, const Geometry& geo,
          Evictor* evictor, Backer* backer);

  // Puts every page on the free list (a new segment).
  void Format();

  // Checks the lists and descriptors of an attached segment and clears pins.
  [[nodiscard]] absl::Status Validate() ABSL_LOCKS_EXCLUDED(mu_);

  // Backs every page that holds items (an attached segment's pages may have
  // been punched out): sealed pages whole, the head page up to its carved
  // bytes rounded up to kBackStep. False if one cannot be backed.
  bool BackUsedPages() ABSL_LOCKS_EXCLUDED(mu_);

  // Carves `bytes` (a multiple of 8, at most page_size) and pins its page.
  // nullopt if no page can be freed (all pinned, or eviction failed).
  std::optional<Span> Allocate(uint32_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  void Unpin(uint32_t page) {
    pages_[page].pins.fetch_sub(1, std::memory_order_release);
  }

  // For the Evictor only, under the mutex: carves from the head, taking the
  // reserve page if needed, never evicting. nullopt if there is no room.
  std::optional<uint64_t> AllocateForRelocation(uint32_t bytes);

  // Page index holding byte offset `pos`, or kNoPage if outside the data.
  uint32_t PageOf(uint64_t pos) const;
  // True if `pos` lies in a page in use, below that page's used mark.
  bool InUsedArea(uint64_t pos) const;

 private:
  uint64_t PageBegin(uint32_t p) const {
    return geo_.data_offset + uint64_t{p} * geo_.page_size;
  }
  uint32_t PopFree() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PushFree(uint32_t p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SealHead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TakeHead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<uint64_t> Carve(uint32_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool EvictOldest() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  SegmentHeader* const header_;
  const Geometry geo_;
  PageDesc* const pages_;
  Evictor* const evictor_;
  Backer* const backer_;
  Mutex mu_;
  AllocState& state_ ABSL_GUARDED_BY(mu_);
  // End of the head page's bytes this process knows to be backed.
  uint64_t backed_end_ ABSL_GUARDED_BY(mu_) = 0;
  // Set by Carve when it failed for want of memory rather than of room.
  bool back_failed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cairn::cache

#endif  // CAIRN_ENGINE_CACHE_PAGE_LOG_H_
