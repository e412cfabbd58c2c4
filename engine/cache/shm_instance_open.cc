// ShmInstance: opening, validating, rebuilding and cleanly closing a
// segment. The operations are in shm_instance.cc.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/cache/shm_instance.h"
#include "engine/cache/shm_lock.h"
#include "engine/cache/shm_segment.h"

namespace cairn::cache {
namespace {

uint64_t MonotonicMillis() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

absl::Status CheckName(const std::string& name) {
  if (name.size() < 2 || name.size() > 201 || name[0] != '/' ||
      name.find('/', 1) != std::string::npos ||
      name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "cache segment name: expected '/' and 1..200 characters without '/', "
        "got '%s'",
        name));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view OpenReasonName(OpenReason reason) {
  switch (reason) {
    case OpenReason::kCreated:
      return "created";
    case OpenReason::kWarm:
      return "warm";
    case OpenReason::kRebuiltDirty:
      return "rebuilt: dirty";
    case OpenReason::kRebuiltInterrupted:
      return "rebuilt: creation interrupted";
    case OpenReason::kRebuiltLayoutMismatch:
      return "rebuilt: layout mismatch";
    case OpenReason::kRebuiltCapacityChanged:
      return "rebuilt: capacity changed";
    case OpenReason::kRebuiltTtlChanged:
      return "rebuilt: ttl changed";
    case OpenReason::kRebuiltSequenceMismatch:
      return "rebuilt: sequence mismatch";
    case OpenReason::kRebuiltForeign:
      return "rebuilt: foreign or truncated segment";
    case OpenReason::kRebuiltCorrupt:
      return "rebuilt: failed validation";
    case OpenReason::kRebuiltUntrusted:
      return "rebuilt: untrusted segment refused";
  }
  return "unknown";
}

ShmInstance::ShmInstance(const InstanceConfig& config)
    : config_(config), pid_(getpid()) {
  if (!config_.now_ms) {
    config_.now_ms = MonotonicMillis;
  }
  if (config_.ttl_ms > 0) {
    tick_ms_ = std::max<uint64_t>(1, config_.ttl_ms >> 10);
    ttl_ticks_ = (config_.ttl_ms + tick_ms_ - 1) / tick_ms_;
  }
}

ShmInstance::~ShmInstance() = default;

absl::Status ShmInstance::Remove(const std::string& segment_name) {
  if (absl::Status s = CheckName(segment_name); !s.ok()) return s;
  return ShmSegment::Remove(segment_name);
}

absl::StatusOr<std::unique_ptr<ShmInstance>> ShmInstance::Open(
    const InstanceConfig& config) {
  if (absl::Status s = CheckName(config.segment_name); !s.ok()) return s;
  for (const std::string& name : config.alternate_names) {
    if (absl::Status s = CheckName(name); !s.ok()) return s;
  }
  absl::StatusOr<Geometry> geo = ComputeGeometry(config.capacity_bytes);
  if (!geo.ok()) return geo.status();
  if (config.lock_timeout_ms == 0) {
    return absl::InvalidArgumentError(
        "cache lock_timeout_ms: expected a positive number, got 0");
  }
  std::unique_ptr<ShmInstance> inst(new ShmInstance(config));
  inst->geo_ = *geo;

  // Every name the instance may live under: reattach the first that is
  // ours and warm; remove the other ones of ours; leave anyone else's.
  std::vector<std::string> names = {config.segment_name};
  names.insert(names.end(), config.alternate_names.begin(),
               config.alternate_names.end());
  std::vector<std::string> refused;
  bool primary_taken = false;
  std::string rebuilt_detail;
  OpenReason rebuilt = OpenReason::kCreated;
  for (const std::string& name : names) {
    absl::StatusOr<std::unique_ptr<ShmSegment>> seg = ShmSegment::Attach(name);
    if (absl::IsNotFound(seg.status())) continue;
    if (!seg.ok()) {
      refused.push_back(std::string(seg.status().message()));
      if (absl::IsFailedPrecondition(seg.status())) {
        // Ours, but others may have written it: drop it, never read it.
        (void)ShmSegment::Remove(name);
      } else if (name == config.segment_name) {
        primary_taken = true;
      }
      continue;
    }
    if (inst->segment_ != nullptr) {  // a warm one is attached already
      seg->reset();
      (void)ShmSegment::Remove(name);
      continue;
    }
    std::string detail;
    OpenReason reason = inst->Examine(**seg, &detail);
    if (reason == OpenReason::kWarm) {
      absl::Status adopted = inst->AdoptWarm(*std::move(seg));
      if (adopted.ok()) {
        inst->config_.segment_name = name;
        continue;
      }
      reason = OpenReason::kRebuiltCorrupt;
      detail = std::string(adopted.message());
      inst->index_.reset();
      inst->log_.reset();
      inst->segment_.reset();
      inst->base_ = nullptr;
      inst->header_ = nullptr;
    }
    seg->reset();
    rebuilt = reason;
    rebuilt_detail =
        absl::StrCat(std::string(OpenReasonName(reason)), " (", detail, ")");
    if (absl::Status s = ShmSegment::Remove(name); !s.ok()) return s;
  }
  const std::string refusals = absl::StrJoin(refused, "; ");
  if (inst->segment_ != nullptr) {
    inst->open_reason_ = OpenReason::kWarm;
    inst->open_detail_ =
        refused.empty() ? "warm" : absl::StrCat("warm; ", refusals);
    return inst;
  }
  if (!refused.empty()) {
    inst->open_reason_ = OpenReason::kRebuiltUntrusted;
    inst->open_detail_ =
        absl::StrCat(std::string(OpenReasonName(OpenReason::kRebuiltUntrusted)),
                     " (", refusals, ")");
  } else {
    inst->open_reason_ = rebuilt;
    inst->open_detail_ =
        rebuilt == OpenReason::kCreated ? "created" : rebuilt_detail;
  }
  // Create under the primary name if we can; a name someone else holds, or
  // takes between our look and our O_EXCL, is left to them.
  absl::Status created = absl::AlreadyExistsError("primary name taken");
  if (!primary_taken) created = inst->CreateFresh(config.segment_name);
  for (int attempt = 0; attempt < 3 && (absl::IsAlreadyExists(created) ||
                                        absl::IsPermissionDenied(created));
       ++attempt) {
    created = inst->CreateFresh(AlternateSegmentName(config.segment_name));
  }
  if (!created.ok()) return created;
  if (inst->config_.segment_name != config.segment_name) {
    absl::StrAppend(&inst->open_detail_, "; using ",
                    inst->config_.segment_name);
  }
  return inst;
}

OpenReason ShmInstance::Examine(const ShmSegment& seg,
                                std::string* detail) const {
  if (seg.size() < sizeof(SegmentHeader)) {
    *detail = absl::StrFormat("segment is %d bytes", seg.size());
    return OpenReason::kRebuiltForeign;
  }
  const SegmentHeader& h = *reinterpret_cast<const SegmentHeader*>(seg.base());
  if (h.magic != kSegmentMagic) {
    *detail = "bad magic";
    return OpenReason::kRebuiltForeign;
  }
  if (h.layout_version != kLayoutVersion || h.header_bytes != kHeaderBytes ||
      h.layout_hash != LayoutHash()) {
    *detail = absl::StrFormat(
        "layout version %d hash %016x, this build has version %d hash %016x",
        h.layout_version, h.layout_hash, kLayoutVersion, LayoutHash());
    return OpenReason::kRebuiltLayoutMismatch;
  }
  const auto state =
      static_cast<SegmentState>(h.state.load(std::memory_order_acquire));
  if (state == SegmentState::kCreating) {
    *detail = "a previous creation did not finish";
    return OpenReason::kRebuiltInterrupted;
  }
  if (state != SegmentState::kClean) {
    const pid_t owner = h.owner_pid.load(std::memory_order_acquire);
    *detail = absl::StrFormat("previous owner pid %d %s", owner,
                              owner == pid_         ? "is this process"
                              : ProcessAlive(owner) ? "is still alive"
                                                    : "crashed");
    return OpenReason::kRebuiltDirty;
  }
  if (h.checksum != HeaderChecksum(h)) {
    *detail = "header checksum mismatch";
    return OpenReason::kRebuiltLayoutMismatch;
  }
  if (h.geometry.capacity != config_.capacity_bytes) {
    *detail = absl::StrFormat("%d -> %d bytes", h.geometry.capacity,
                              config_.capacity_bytes);
    return OpenReason::kRebuiltCapacityChanged;
  }
  if (seg.size() != h.geometry.capacity) {
    *detail = absl::StrFormat("segment is %d bytes, header says %d", seg.size(),
                              h.geometry.capacity);
    return OpenReason::kRebuiltForeign;
  }
  if (!(h.geometry == geo_)) {
    *detail = "stored geometry differs from this build's";
    return OpenReason::kRebuiltLayoutMismatch;
  }
  if (h.ttl_ms != config_.ttl_ms) {
    *detail = absl::StrFormat("%d -> %d ms", h.ttl_ms, config_.ttl_ms);
    return OpenReason::kRebuiltTtlChanged;
  }
  if (config_.ttl_ms > 0) {
    const uint64_t now = config_.now_ms();
    if (now < h.time_base_ms ||
        (now - h.time_base_ms) / tick_ms_ >= (1u << 31)) {
      *detail = "item times are not comparable with this clock";
      return OpenReason::kRebuiltTtlChanged;
    }
  }
  if (h.clean_sequence != config_.expected_sequence) {
    *detail = absl::StrFormat("closed at sequence %d, database is at %d",
                              h.clean_sequence, config_.expected_sequence);
    return OpenReason::kRebuiltSequenceMismatch;
  }
  return OpenReason::kWarm;
}

void ShmInstance::Bind(std::unique_ptr<ShmSegment> seg) {
  segment_ = std::move(seg);
  base_ = segment_->base();
  header_ = reinterpret_cast<SegmentHeader*>(base_);
  index_ = std::make_unique<HashIndex>(base_, geo_);
  log_ = std::make_unique<PageLog>(base_, header_, geo_,
                                   static_cast<PageLog::Evictor*>(this),
                                   static_cast<PageLog::Backer*>(this));
  max_item_bytes_ = std::min<uint64_t>(geo_.page_size,
                                       ItemBytes(kMaxKeyBytes, kMaxValueBytes));
}

absl::Status ShmInstance::AdoptWarm(std::unique_ptr<ShmSegment> seg) {
  // Back the metadata and every page holding items: they are backed
  // already unless someone punched them out, and then no later first touch
  // may SIGBUS.
  if (absl::Status s = seg->Back(0, geo_.data_offset, "attach:metadata");
      !s.ok()) {
    return s;
  }
  Bind(std::move(seg));
  if (absl::Status s = log_->Validate(); !s.ok()) return s;
  if (!log_->BackUsedPages()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cache segment ", segment_->name(),
                     ": cannot back its pages in shared memory"));
  }
  if (absl::Status s = ValidateIndex(); !s.ok()) return s;
  for (uint32_t c = 0; c < kNumCounters; ++c) {
    counter_base_[c] = header_->saved_counters[c];
  }
  ring_epoch_at_open_ = header_->ring_epoch;
  header_->owner_pid.store(pid_, std::memory_order_relaxed);
  header_->state.store(static_cast<uint32_t>(SegmentState::kDirty),
                       std::memory_order_release);
  return absl::OkStatus();
}

absl::Status ShmInstance::ValidateIndex() const {
  uint64_t items = 0;
  for (uint32_t b = 0; b < geo_.num_buckets; ++b) {
    const Bucket& bk = index_->bucket(b);
    if ((bk.seq.load(std::memory_order_relaxed) & 1) != 0) {
      return absl::DataLossError(
          absl::StrFormat("bucket %d was left locked", b));
    }
    for (uint32_t i = 0; i < kSlotsPerBucket; ++i) {
      const uint64_t item =
          uint64_t{bk.offset[i].load(std::memory_order_relaxed)} * 8;
      if (item == 0) continue;
      if (!index_->PlausibleItem(item) || !log_->InUsedArea(item)) {
        return absl::DataLossError(absl::StrFormat(
            "bucket %d slot %d points outside the used pages", b, i));
      }
      ++items;
    }
  }
  if (items != header_->items.load(std::memory_order_relaxed)) {
    return absl::DataLossError(
        absl::StrFormat("index holds %d items, header says %d", items,
                        header_->items.load(std::memory_order_relaxed)));
  }
  return absl::OkStatus();
}

absl::Status ShmInstance::CreateFresh(const std::string& name) {
  // Only the metadata is backed now; data pages as they come into use.
  absl::StatusOr<std::unique_ptr<ShmSegment>> seg = ShmSegment::Create(
      name, config_.capacity_bytes, geo_.data_offset, config_.test_hook);
  if (!seg.ok()) return seg.status();
  config_.segment_name = name;
  Bind(*std::move(seg));
  // Fresh memory is zero: state kCreating, empty index and stripes. The
  // state becomes kDirty only once the layout is complete; the owner and
  // the database path are there from the start, for orphan reclaim.
  SegmentHeader& h = *header_;
  h.owner_pid.store(pid_, std::memory_order_relaxed);
  if (config_.db_path.size() <= kMaxDbPathBytes) {
    std::memcpy(h.db_path, config_.db_path.data(), config_.db_path.size());
    h.db_path_bytes = static_cast<uint32_t>(config_.db_path.size());
  }
  h.magic = kSegmentMagic;
  h.layout_version = kLayoutVersion;
  h.header_bytes = kHeaderBytes;
  h.layout_hash = LayoutHash();
  h.geometry = geo_;
  h.ttl_ms = config_.ttl_ms;
  h.time_base_ms = config_.now_ms();
  Hook("create:formatting");
  log_->Format();
  h.owner_pid.store(pid_, std::memory_order_relaxed);
  h.state.store(static_cast<uint32_t>(SegmentState::kDirty),
                std::memory_order_release);
  return absl::OkStatus();
}

absl::Status ShmInstance::MarkClean(uint64_t sequence, uint64_t ring_epoch) {
  if (failed_.load()) {
    MutexLock lock(&failure_mu_);
    return absl::FailedPreconditionError(
        absl::StrCat("cache instance ", config_.segment_name,
                     " failed and cannot be closed cleanly: ", failure_));
  }
  if (closed_.exchange(true)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cache instance ", config_.segment_name, " is already closed"));
  }
  for (uint32_t b = 0; b < geo_.num_buckets; ++b) {
    if ((index_->bucket(b).seq.load(std::memory_order_acquire) & 1) != 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "cache instance %s: bucket %d is locked; MarkClean needs all "
          "callers stopped",
          config_.segment_name, b));
    }
  }
  SegmentHeader& h = *header_;
  for (uint32_t c = 0; c < kNumCounters; ++c) {
    h.saved_counters[c] =
        counter_base_[c] + counters_.Sum(static_cast<Counter>(c));
  }
  h.clean_sequence = sequence;
  h.ring_epoch = ring_epoch;
  h.last_owner_pid = pid_;
  h.owner_pid.store(0, std::memory_order_relaxed);
  h.state.store(static_cast<uint32_t>(SegmentState::kClean),
                std::memory_order_relaxed);
  h.checksum = HeaderChecksum(h);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return absl::OkStatus();
}

}  // namespace cairn::cache
