// Restart tests: a segment written by one process and opened by the next.
// Warm reattach after a clean close; rebuild after a crash (including a
// SIGKILL while holding a bucket lock, while evicting, and mid-create), a
// layout mismatch, a sequence or capacity change, and foreign or truncated
// files. RELIABILITY R4-R6, S3.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/cache/segment_layout.h"
#include "engine/cache/shm_instance.h"
#include "gtest/gtest.h"
#include "tests/cache/cache_test_util.h"

namespace cairn::cache {
namespace {

using testing::RunInChild;
using testing::ScopedSegment;
using testing::SmallConfig;
using testing::V;

constexpr int kKeys = 1000;

std::string Key(int i) { return absl::StrCat("key-", i); }
std::string Value(int i) { return absl::StrCat("value-", i, "-", i * 7919); }

// Creates the segment, writes kKeys keys and closes cleanly at `sequence`.
void WriteAndClose(const InstanceConfig& c, uint64_t sequence) {
  auto cache = ShmInstance::Open(c);
  ASSERT_TRUE(cache.ok()) << cache.status();
  for (int i = 0; i < kKeys; ++i) (*cache)->Update(Key(i), Value(i), V(i + 1));
  ASSERT_TRUE((*cache)->MarkClean(sequence).ok());
}

std::unique_ptr<ShmInstance> Reopen(InstanceConfig c, uint64_t sequence) {
  c.expected_sequence = sequence;
  auto cache = ShmInstance::Open(c);
  EXPECT_TRUE(cache.ok()) << cache.status();
  return cache.ok() ? *std::move(cache) : nullptr;
}

int CountHits(ShmInstance& cache) {
  int hits = 0;
  std::string value;
  Version version;
  for (int i = 0; i < kKeys; ++i) {
    if (cache.Get(Key(i), &value, &version)) {
      EXPECT_EQ(value, Value(i));
      EXPECT_EQ(version, V(i + 1));
      ++hits;
    }
  }
  return hits;
}

void Overwrite(const std::string& path, uint64_t offset, const void* data,
               size_t n) {
  const int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(pwrite(fd, data, n, static_cast<off_t>(offset)),
            static_cast<ssize_t>(n));
  close(fd);
}

// Forks a child that opens the segment with `hook_point` blocking: it
// reports through a pipe once it reaches the point, then the parent kills
// it with SIGKILL. `work` drives the child to the point.
void KillChildAt(const InstanceConfig& base, const std::string& hook_point,
                 const std::function<void(ShmInstance&)>& work) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    InstanceConfig c = base;
    const int out = fds[1];
    c.test_hook = [hook_point, out](std::string_view point) {
      if (point == hook_point) {
        char b = 1;
        (void)!write(out, &b, 1);
        for (;;) pause();
      }
      return 0;
    };
    auto cache = ShmInstance::Open(c);
    if (cache.ok()) work(**cache);
    _exit(3);  // never reached the point
  }
  close(fds[1]);
  char b = 0;
  const ssize_t n = read(fds[0], &b, 1);
  close(fds[0]);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_EQ(n, 1) << "child did not reach " << hook_point;
  ASSERT_TRUE(WIFSIGNALED(status));
}

class ShmInstanceRestartTest : public ::testing::Test {
 protected:
  void SetUp() override { alarm(60); }  // a hang fails instead of blocking
  void TearDown() override { alarm(0); }
  ScopedSegment seg_;
};

TEST_F(ShmInstanceRestartTest, WarmReattachInNewProcess) {
  const InstanceConfig c = SmallConfig(seg_);
  ASSERT_EQ(RunInChild([&] {
              WriteAndClose(c, 42);
              return ::testing::Test::HasFailure() ? 1 : 0;
            }),
            0);
  auto cache = Reopen(c, 42);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->open_reason(), OpenReason::kWarm);
  EXPECT_EQ(cache->Stats().open_detail, "warm");
  EXPECT_EQ(cache->Stats().updates, uint64_t{kKeys});  // counters persisted
  EXPECT_EQ(CountHits(*cache), kKeys);
  // The reattached segment keeps working and closes cleanly again.
  cache->Update(Key(0), "newer", V(5000));
  ASSERT_TRUE(cache->MarkClean(43).ok());
  cache.reset();
  cache = Reopen(c, 43);
  EXPECT_EQ(cache->open_reason(), OpenReason::kWarm);
  std::string value;
  ASSERT_TRUE(cache->Get(Key(0), &value, nullptr));
  EXPECT_EQ(value, "newer");
}

TEST_F(ShmInstanceRestartTest, DirtySegmentIsRebuilt) {
  const InstanceConfig c = SmallConfig(seg_);
  ASSERT_EQ(RunInChild([&] {
              auto cache = ShmInstance::Open(c);
              if (!cache.ok()) return 1;
              (*cache)->Update("k", "v", V(1));
              return 0;  // exits without MarkClean, like a crash
            }),
            0);
  auto cache = Reopen(c, 0);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltDirty);
  EXPECT_NE(cache->Stats().open_detail.find("crashed"), std::string::npos)
      << cache->Stats().open_detail;
  EXPECT_FALSE(cache->Get("k", nullptr, nullptr));
  EXPECT_EQ(cache->Stats().items, 0u);
}

TEST_F(ShmInstanceRestartTest, SequenceMismatchIsRebuilt) {
  const InstanceConfig c = SmallConfig(seg_);
  WriteAndClose(c, 42);
  auto cache = Reopen(c, 43);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltSequenceMismatch);
  EXPECT_NE(cache->Stats().open_detail.find("42"), std::string::npos);
  EXPECT_EQ(CountHits(*cache), 0);
}

TEST_F(ShmInstanceRestartTest, CapacityChangeIsRebuilt) {
  InstanceConfig c = SmallConfig(seg_);
  WriteAndClose(c, 1);
  c.capacity_bytes *= 2;
  auto cache = Reopen(c, 1);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltCapacityChanged);
  EXPECT_EQ(CountHits(*cache), 0);
}

TEST_F(ShmInstanceRestartTest, TtlChangeIsRebuilt) {
  InstanceConfig c = SmallConfig(seg_);
  WriteAndClose(c, 1);
  c.ttl_ms = 60000;
  auto cache = Reopen(c, 1);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltTtlChanged);
}

struct Corruption {
  const char* name;
  size_t offset;
  OpenReason expected;
};

class ShmInstanceLayoutTest : public ShmInstanceRestartTest,
                              public ::testing::WithParamInterface<Corruption> {
};

TEST_P(ShmInstanceLayoutTest, AlteredHeaderIsRebuilt) {
  const InstanceConfig c = SmallConfig(seg_);
  WriteAndClose(c, 7);
  const uint32_t garbage = 0x5a5a5a5a;
  Overwrite(seg_.path(), GetParam().offset, &garbage, sizeof(garbage));
  auto cache = Reopen(c, 7);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->open_reason(), GetParam().expected)
      << cache->Stats().open_detail;
  EXPECT_EQ(CountHits(*cache), 0);
  cache->Update("k", "v", V(1));
  EXPECT_TRUE(cache->Get("k", nullptr, nullptr));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ShmInstanceLayoutTest,
    ::testing::Values(Corruption{"magic", offsetof(SegmentHeader, magic),
                                 OpenReason::kRebuiltForeign},
                      Corruption{"version",
                                 offsetof(SegmentHeader, layout_version),
                                 OpenReason::kRebuiltLayoutMismatch},
                      Corruption{"hash", offsetof(SegmentHeader, layout_hash),
                                 OpenReason::kRebuiltLayoutMismatch},
                      Corruption{"geometry",
                                 offsetof(SegmentHeader, geometry) + 8,
                                 OpenReason::kRebuiltLayoutMismatch},
                      Corruption{"alloc_state", offsetof(SegmentHeader, alloc),
                                 OpenReason::kRebuiltLayoutMismatch}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(ShmInstanceRestartTest, CorruptIndexFailsValidation) {
  const InstanceConfig c = SmallConfig(seg_);
  WriteAndClose(c, 7);
  auto geo = ComputeGeometry(c.capacity_bytes);
  ASSERT_TRUE(geo.ok());
  // Point every slot of bucket 0 far outside the data area.
  const uint32_t bad[kSlotsPerBucket] = {0xffffff00u, 0xffffff00u, 0xffffff00u,
                                         0xffffff00u, 0xffffff00u, 0xffffff00u,
                                         0xffffff00u, 0xffffff00u, 0xffffff00u,
                                         0xffffff00u, 0xffffff00u};
  Overwrite(seg_.path(), geo->index_offset + offsetof(Bucket, offset), bad,
            sizeof(bad));
  auto cache = Reopen(c, 7);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltCorrupt)
      << cache->Stats().open_detail;
  EXPECT_EQ(CountHits(*cache), 0);
}

TEST_F(ShmInstanceRestartTest, ForeignFileIsReplaced) {
  {
    const int fd = open(seg_.path().c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    std::string junk(100000, '\0');
    for (size_t i = 0; i < junk.size(); ++i)
      junk[i] = static_cast<char>(i * 131);
    ASSERT_EQ(write(fd, junk.data(), junk.size()),
              static_cast<ssize_t>(junk.size()));
    close(fd);
  }
  auto cache = Reopen(SmallConfig(seg_), 0);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltForeign);
  cache->Update("k", "v", V(1));
  EXPECT_TRUE(cache->Get("k", nullptr, nullptr));
  struct stat st;
  ASSERT_EQ(stat(seg_.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size),
            SmallConfig(seg_).capacity_bytes);
}

TEST_F(ShmInstanceRestartTest, TruncatedSegmentIsRebuilt) {
  const InstanceConfig c = SmallConfig(seg_);
  for (off_t size : {off_t{0}, off_t{100}, off_t(c.capacity_bytes / 2)}) {
    WriteAndClose(c, 9);
    ASSERT_EQ(truncate(seg_.path().c_str(), size), 0);
    auto cache = Reopen(c, 9);
    ASSERT_NE(cache, nullptr) << size;
    EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltForeign) << size;
    EXPECT_EQ(CountHits(*cache), 0);
    cache.reset();
    ASSERT_TRUE(ShmInstance::Remove(c.segment_name).ok());
  }
}

TEST_F(ShmInstanceRestartTest, KilledWhileHoldingBucketLock) {
  const InstanceConfig c = SmallConfig(seg_);
  WriteAndClose(c, 5);
  KillChildAt(c, "write:locked", [](ShmInstance& cache) {
    cache.Update(Key(3), "half-written", V(99999));
  });
  auto cache = Reopen(c, 5);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltDirty);
  EXPECT_NE(cache->Stats().open_detail.find("crashed"), std::string::npos);
  EXPECT_EQ(CountHits(*cache), 0);
  cache->Update(Key(3), "v", V(100000));
  EXPECT_TRUE(cache->Get(Key(3), nullptr, nullptr));
}

TEST_F(ShmInstanceRestartTest, KilledWhileEvicting) {
  const InstanceConfig c = SmallConfig(seg_, kMinCapacity);
  KillChildAt(c, "evict:locked", [](ShmInstance& cache) {
    for (int i = 0; i < 100000; ++i) {
      cache.Update(Key(i), std::string(300, 'x'), V(i + 1));
    }
  });
  auto cache = Reopen(c, 0);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltDirty);
  EXPECT_EQ(cache->Stats().items, 0u);
}

TEST_F(ShmInstanceRestartTest, KilledMidCreate) {
  const InstanceConfig c = SmallConfig(seg_);
  // After the object exists but before it has a size: looks truncated.
  KillChildAt(c, "create:opened", [](ShmInstance&) {});
  auto cache = Reopen(c, 0);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltForeign);
  cache.reset();
  ASSERT_TRUE(ShmInstance::Remove(c.segment_name).ok());
  // After the header identity is written, before the layout is complete.
  KillChildAt(c, "create:formatting", [](ShmInstance&) {});
  cache = Reopen(c, 0);
  EXPECT_EQ(cache->open_reason(), OpenReason::kRebuiltInterrupted);
  cache->Update("k", "v", V(1));
  EXPECT_TRUE(cache->Get("k", nullptr, nullptr));
}

TEST_F(ShmInstanceRestartTest, WarmHitRatioAfterCleanReopen) {
  // BENCHMARKS P8: right after a clean reopen, hit ratio >= 95% of before.
  InstanceConfig c = SmallConfig(seg_, 4 << 20);
  int before = 0;
  {
    auto cache = Reopen(c, 0);
    for (int i = 0; i < kKeys; ++i) cache->Update(Key(i), Value(i), V(i + 1));
    before = CountHits(*cache);
    ASSERT_TRUE(cache->MarkClean(11).ok());
  }
  auto cache = Reopen(c, 11);
  EXPECT_EQ(cache->open_reason(), OpenReason::kWarm);
  EXPECT_GE(CountHits(*cache) * 100, before * 95);
}

}  // namespace
}  // namespace cairn::cache
