// CacheTier on its own: changes after close, a layout that cannot be saved,
// and saved layouts that are damaged or from other options.
#include "engine/cache/cache_tier.h"

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/cache/placement.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace cairn::cache {
namespace {

using ::cairn::testing::TempDir;

TierOptions Small() {
  TierOptions o;
  o.capacity_bytes = 2 << 20;
  o.instances = 2;
  return o;
}

std::unique_ptr<CacheTier> OpenTier(const TierOptions& o,
                                    const std::string& path) {
  absl::StatusOr<std::unique_ptr<CacheTier>> tier =
      CacheTier::Open(o, path, 0, nullptr);
  EXPECT_TRUE(tier.ok()) << tier.status();
  return tier.ok() ? std::move(*tier) : nullptr;
}

TEST(CacheTierTest, ChangesAfterCloseAreUnavailable) {
  TempDir dir;
  auto tier = OpenTier(Small(), dir.path());
  ASSERT_TRUE(tier->AddInstance(1 << 20).ok());
  tier->Close(0);
  EXPECT_EQ(tier->AddInstance(1 << 20).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(tier->RemoveInstance(0).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(tier->Transfer(0, 1).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(tier->FinishMigration().code(), absl::StatusCode::kUnavailable);
  tier.reset();
  ASSERT_TRUE(CacheTier::RemoveSegments(dir.path()).ok());
}

// An add that holds the change lock when Close arrives lands, and Close
// then marks the new instance clean with the rest: it reopens warm.
TEST(CacheTierTest, AddHoldingTheLockLandsBeforeCloseAndReopensWarm) {
  TempDir dir;
  TierOptions o = Small();
  std::string saved;
  o.save_layout = [&](const std::string& layout) {
    saved = layout;
    return absl::OkStatus();
  };
  std::unique_ptr<CacheTier> tier;
  std::thread closer;
  std::promise<void> closer_waiting;
  o.sync_point = [&](std::string_view point) {
    if (point == "add:locked") {
      closer = std::thread([&] { tier->Close(0); });
      closer_waiting.get_future().wait();  // Close is now queued behind us
    } else if (point == "close:waiting") {
      closer_waiting.set_value();
    }
  };
  tier = OpenTier(o, dir.path());
  absl::StatusOr<uint32_t> id = tier->AddInstance(256 << 10);
  closer.join();
  ASSERT_TRUE(id.ok()) << id.status();
  tier.reset();

  TierOptions reopen = Small();
  reopen.saved_layout = saved;
  tier = OpenTier(reopen, dir.path());
  nlohmann::json c = nlohmann::json::parse(tier->PropertyJson());
  ASSERT_EQ(c["instances"].size(), 3u) << c.dump();
  for (const auto& inst : c["instances"]) {
    EXPECT_EQ(inst["open"], "warm") << inst.dump();
  }
  tier.reset();
  ASSERT_TRUE(CacheTier::RemoveSegments(dir.path()).ok());
}

// An add that waits for the lock while Close holds it is refused, and
// leaves no instance or segment behind.
TEST(CacheTierTest, AddQueuedBehindCloseIsRefusedAndLeavesNothing) {
  TempDir dir;
  TierOptions o = Small();
  std::unique_ptr<CacheTier> tier;
  std::thread adder;
  absl::Status add_status;
  std::promise<void> adder_waiting;
  o.sync_point = [&](std::string_view point) {
    if (point == "close:locked") {
      adder = std::thread(
          [&] { add_status = tier->AddInstance(256 << 10).status(); });
      adder_waiting.get_future().wait();  // the add is now queued behind us
    } else if (point == "add:waiting") {
      adder_waiting.set_value();
    }
  };
  tier = OpenTier(o, dir.path());
  tier->Close(0);
  adder.join();
  EXPECT_EQ(add_status.code(), absl::StatusCode::kUnavailable) << add_status;
  nlohmann::json c = nlohmann::json::parse(tier->PropertyJson());
  EXPECT_EQ(c["instances"].size(), 2u) << c.dump();
  tier.reset();
  ASSERT_TRUE(CacheTier::RemoveSegments(dir.path()).ok());
}

TEST(CacheTierTest, AChangeThatCannotBeSavedChangesNothing) {
  TempDir dir;
  TierOptions o = Small();
  bool fail = false;
  o.save_layout = [&](const std::string&) {
    return fail ? absl::UnavailableError("disk says no") : absl::OkStatus();
  };
  auto tier = OpenTier(o, dir.path());
  fail = true;
  absl::StatusOr<uint32_t> id = tier->AddInstance(1 << 20);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(id.status().message().find("disk says no"), std::string::npos);
  nlohmann::json c = nlohmann::json::parse(tier->PropertyJson());
  EXPECT_EQ(c["epoch"], 1);
  EXPECT_EQ(c["instances"].size(), 2u);
  EXPECT_EQ(tier->RemoveInstance(0).code(), absl::StatusCode::kUnavailable);
  fail = false;
  // The id of the failed add is not burnt.
  absl::StatusOr<uint32_t> again = tier->AddInstance(1 << 20);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 2u);
  tier.reset();
  ASSERT_TRUE(CacheTier::RemoveSegments(dir.path()).ok());
}

TEST(CacheTierTest, DamagedSavedLayoutStartsFreshAndSaysWhy) {
  TempDir dir;
  TierOptions o = Small();
  o.saved_layout = std::string("not a layout");
  std::string saved;
  o.save_layout = [&](const std::string& s) {
    saved = s;
    return absl::OkStatus();
  };
  auto tier = OpenTier(o, dir.path());
  nlohmann::json c = nlohmann::json::parse(tier->PropertyJson());
  EXPECT_EQ(c["epoch"], 1);
  EXPECT_NE(c["layout_note"].get<std::string>().find("malformed"),
            std::string::npos);
  EXPECT_FALSE(saved.empty());  // the fresh layout replaced it
  tier.reset();
  ASSERT_TRUE(CacheTier::RemoveSegments(dir.path()).ok());
}

TEST(CacheTierTest, RoutesEveryKeyToItsRingOwnerAfterChanges) {
  TempDir dir;
  auto tier = OpenTier(Small(), dir.path());
  for (int i = 0; i < 3000; ++i) {
    const std::string k = absl::StrCat("k", i);
    CacheTier::Access a(tier.get());
    a.Update(KeyHash(k), k, "v", Version{static_cast<uint64_t>(i + 1), 1});
  }
  ASSERT_TRUE(tier->AddInstance(1 << 20).ok());
  ASSERT_TRUE(tier->RemoveInstance(0).ok());
  ASSERT_TRUE(tier->FinishMigration().ok());
  std::string v;
  Version ver;
  int hits = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string k = absl::StrCat("k", i);
    CacheTier::Access a(tier.get());
    hits += a.Get(KeyHash(k), k, &v, &ver) ? 1 : 0;
  }
  EXPECT_EQ(hits, 3000);  // nothing lost by two migrations
  tier.reset();
  ASSERT_TRUE(CacheTier::RemoveSegments(dir.path()).ok());
}

}  // namespace
}  // namespace cairn::cache
