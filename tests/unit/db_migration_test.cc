// Growing and shrinking the cache online: add, remove and transfer through
// Db, lazy and background migration, restart mid-migration, bad input, and
// RELIABILITY R12 (reads and writes checked against a model while
// instances come and go).
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/cache/segment_name.h"
#include "engine/db.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

using ::cairn::testing::TempDir;
using Opts = testing::OptionList;

std::unique_ptr<Db> OpenDb(const std::string& path,
                           const testing::OptionList& options) {
  return testing::OpenTestDb(path, options);
}

nlohmann::json Prop(Db* db, const char* name) {
  return nlohmann::json::parse(*db->Property(name));
}

std::string Key(int i) { return absl::StrCat("key-", i); }
std::string Value(int i, int gen = 0) {
  return absl::StrCat("value-", i, "-", gen, std::string(80, 'x'));
}

void Load(Db* db, int n, int gen = 0) {
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(db->Put({}, Key(i), Value(i, gen)).ok());
}

void ExpectAll(Db* db, int n, int gen = 0) {
  std::string v;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(db->Get({}, Key(i), &v).ok()) << Key(i);
    ASSERT_EQ(v, Value(i, gen)) << Key(i);
  }
}

// Waits for the background mover to end the migration (woken when it does,
// not polled); bounded. Then "cairn.migration" must agree.
bool WaitStable(Db* db, absl::Duration limit = absl::Seconds(30)) {
  if (!db->WaitForCacheMigration(absl::Now() + limit)) return false;
  return Prop(db, "cairn.migration")["state"] == "stable";
}

uint64_t TotalMisses(Db* db) {
  return Prop(db, "cairn.cache")["total"]["misses"].get<uint64_t>();
}

// ExpectAll, and not one of its reads missed the cache (a lazy move counts
// as a hit).
void ExpectAllFromCache(Db* db, int n, int gen = 0) {
  const uint64_t misses = TotalMisses(db);
  ExpectAll(db, n, gen);
  EXPECT_EQ(TotalMisses(db), misses) << "a read went to LevelDB";
}

nlohmann::json InstanceJson(Db* db, uint32_t id) {
  const nlohmann::json cache = Prop(db, "cairn.cache");
  for (const auto& e : cache["instances"]) {
    if (e["id"] == id) return e;
  }
  return nullptr;
}

bool SegmentExists(const std::string& db_path, uint32_t id) {
  const std::string name = cache::SegmentName(db_path, id);
  return access(("/dev/shm" + name).c_str(), F_OK) == 0;
}

const Opts kBase = {{"cache.capacity_mb", "8"}, {"cache.instances", "4"}};

TEST(DbMigrationTest, AddedInstanceFillsByMigrationAndEveryValueReadsBack) {
  TempDir dir;
  auto db = OpenDb(dir.Sub("db"), kBase);
  Load(db.get(), 20000);
  absl::StatusOr<uint32_t> id = db->AddCacheInstance(4 << 20);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 4u);
  ExpectAll(db.get(), 20000);
  ASSERT_TRUE(WaitStable(db.get()));
  ExpectAll(db.get(), 20000);
  nlohmann::json m = Prop(db.get(), "cairn.migration");
  EXPECT_EQ(m["epoch"], 2);
  EXPECT_EQ(m["from_epoch"], 1);
  EXPECT_GT(m["moved_total"].get<uint64_t>(), 0u);
  EXPECT_EQ(m["remaining_estimate"], 0);
  EXPECT_GT(m["finished_ms"].get<uint64_t>(), 0u);
  nlohmann::json added = InstanceJson(db.get(), 4);
  ASSERT_FALSE(added.is_null());
  // Weights follow capacity: 4 MiB of 12.
  EXPECT_NEAR(added["share"].get<double>(), 1.0 / 3, 0.01);
  EXPECT_GT(added["items"].get<uint64_t>(), 20000u / 4);
  // Nothing was lost on the way: every key hit the cache after the move.
  EXPECT_EQ(Prop(db.get(), "cairn.cache")["total"]["items"], 20000);
}

TEST(DbMigrationTest, MissesAtTheNewOwnerMoveLazilyInsteadOfReadingLevelDb) {
  TempDir dir;
  Opts opts = kBase;
  opts.push_back({"migration.rate_items_per_sec", "1"});  // mover crawls
  auto db = OpenDb(dir.Sub("db"), opts);
  Load(db.get(), 5000);
  ASSERT_TRUE(db->AddCacheInstance(2 << 20).ok());
  EXPECT_EQ(Prop(db.get(), "cairn.migration")["state"], "migrating");
  // Every read is served from the cache: lazy moves are hits.
  ExpectAllFromCache(db.get(), 5000);
  nlohmann::json m = Prop(db.get(), "cairn.migration");
  EXPECT_GT(m["moved_lazy"].get<uint64_t>(), 5000u / 10);
  ASSERT_TRUE(db->FinishCacheMigration().ok());
  EXPECT_EQ(Prop(db.get(), "cairn.migration")["state"], "stable");
  ExpectAllFromCache(db.get(), 5000);
}

// What the instances hold, from one "cairn.cache" reading that no mover
// step overlapped.
struct TierCounts {
  uint64_t moved = 0, moved_lazy = 0;      // "cairn.migration"
  uint64_t items = 0, live_bytes = 0;      // all instances
  uint64_t old_items = 0, old_erases = 0;  // the instances present before
  uint64_t new_items = 0;                  // the instance `added`
};

TierCounts ReadTierCounts(Db* db, uint32_t added) {
  TierCounts c;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const nlohmann::json before = Prop(db, "cairn.migration");
    const nlohmann::json cache = Prop(db, "cairn.cache");
    const nlohmann::json after = Prop(db, "cairn.migration");
    if (before["moved_total"] != after["moved_total"]) continue;
    c = TierCounts();
    c.moved = after["moved_total"].get<uint64_t>();
    c.moved_lazy = after["moved_lazy"].get<uint64_t>();
    c.items = cache["total"]["items"].get<uint64_t>();
    for (const auto& e : cache["instances"]) {
      c.live_bytes += e["live_bytes"].get<uint64_t>();
      if (e["id"] == added) {
        c.new_items = e["items"].get<uint64_t>();
      } else {
        c.old_items += e["items"].get<uint64_t>();
        c.old_erases += e["erases"].get<uint64_t>();
      }
    }
    return c;
  }
  ADD_FAILURE() << "the mover never paused between two property reads";
  return c;
}

// A lazy move takes the item from its previous owner: the copy left there
// is erased, so every key is cached once and no capacity is spent twice.
// (A copy left behind would be erased by the mover eventually; until then
// it takes the space of another key.)
TEST(DbMigrationTest, LazyMoveErasesThePreviousOwnersCopy) {
  TempDir dir;
  Opts opts = kBase;
  opts.push_back({"migration.rate_items_per_sec", "1"});  // mover crawls
  auto db = OpenDb(dir.Sub("db"), opts);
  constexpr int kKeys = 5000;
  Load(db.get(), kKeys);
  absl::StatusOr<uint32_t> id = db->AddCacheInstance(2 << 20);
  ASSERT_TRUE(id.ok()) << id.status();
  const TierCounts start = ReadTierCounts(db.get(), *id);
  ASSERT_EQ(start.items, static_cast<uint64_t>(kKeys));
  ASSERT_EQ(start.old_erases, start.moved) << "each move erases its source";

  ExpectAllFromCache(db.get(), kKeys);
  const TierCounts end = ReadTierCounts(db.get(), *id);
  ASSERT_EQ(Prop(db.get(), "cairn.migration")["state"], "migrating");
  EXPECT_GT(end.moved_lazy, kKeys / 10u);
  // One erase at the previous owners per move, lazy or not.
  EXPECT_EQ(end.old_erases, end.moved);
  EXPECT_EQ(end.old_items, kKeys - end.moved);
  EXPECT_EQ(end.new_items, end.moved);
  // Every key is cached exactly once, in the bytes it took before.
  EXPECT_EQ(end.items, static_cast<uint64_t>(kKeys));
  EXPECT_EQ(end.live_bytes, start.live_bytes);
}

TEST(DbMigrationTest, WritesDuringMigrationAreNeverUndoneByAMove) {
  TempDir dir;
  Opts opts = kBase;
  opts.push_back({"migration.rate_items_per_sec", "1"});
  auto db = OpenDb(dir.Sub("db"), opts);
  Load(db.get(), 4000);
  ASSERT_TRUE(db->AddCacheInstance(2 << 20).ok());
  // Overwrite half, delete a quarter, while items still sit at their
  // previous owners.
  for (int i = 0; i < 4000; i += 2) {
    ASSERT_TRUE(db->Put({}, Key(i), Value(i, 1)).ok());
  }
  for (int i = 1; i < 4000; i += 4) ASSERT_TRUE(db->Delete({}, Key(i)).ok());
  auto check = [&] {
    std::string v;
    for (int i = 0; i < 4000; ++i) {
      absl::Status s = db->Get({}, Key(i), &v);
      if (i % 4 == 1) {
        ASSERT_TRUE(absl::IsNotFound(s)) << Key(i) << " resurrected: " << v;
      } else {
        ASSERT_TRUE(s.ok()) << Key(i) << ": " << s;
        ASSERT_EQ(v, Value(i, i % 2 == 0 ? 1 : 0)) << Key(i);
      }
    }
  };
  check();
  ASSERT_TRUE(db->FinishCacheMigration().ok());
  check();
}

TEST(DbMigrationTest, RemovedInstanceIsDrainedThenItsSegmentFreed) {
  TempDir dir;
  Opts opts = kBase;
  opts.push_back({"migration.rate_items_per_sec", "1"});
  auto db = OpenDb(dir.Sub("db"), opts);
  Load(db.get(), 5000);
  ASSERT_TRUE(db->RemoveCacheInstance(1).ok());
  nlohmann::json gone = InstanceJson(db.get(), 1);
  ASSERT_FALSE(gone.is_null());
  EXPECT_EQ(gone["role"], "draining");
  EXPECT_EQ(gone["share"], 0.0);
  EXPECT_TRUE(SegmentExists(db->path(), 1));
  // Removing it again is refused while it drains.
  absl::Status again = db->RemoveCacheInstance(1);
  EXPECT_EQ(again.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(again.message().find("already being removed"), std::string::npos);
  ExpectAll(db.get(), 5000);
  ASSERT_TRUE(db->FinishCacheMigration().ok());
  EXPECT_TRUE(InstanceJson(db.get(), 1).is_null());
  EXPECT_FALSE(SegmentExists(db->path(), 1));
  ExpectAll(db.get(), 5000);
  EXPECT_EQ(Prop(db.get(), "cairn.cache")["instances"].size(), 3u);
}

TEST(DbMigrationTest, TransferMovesEverythingForTheTargetAtOnce) {
  TempDir dir;
  Opts opts = kBase;
  opts.push_back({"migration.rate_items_per_sec", "1"});
  auto db = OpenDb(dir.Sub("db"), opts);
  Load(db.get(), 8000);
  absl::StatusOr<uint32_t> id = db->AddCacheInstance(2 << 20);
  ASSERT_TRUE(id.ok());
  uint64_t moved = 0;
  for (uint32_t from = 0; from < 4; ++from) {
    absl::StatusOr<uint64_t> n = db->TransferCache(from, *id);
    ASSERT_TRUE(n.ok()) << n.status();
    moved += *n;
  }
  // The new instance owns 2/10 of the buckets.
  EXPECT_NEAR(static_cast<double>(moved), 8000 * 0.2, 8000 * 0.03);
  // Everything the new instance holds came by transfer or (its first burst
  // of tokens) by the crawling mover; no read moved anything lazily.
  nlohmann::json m = Prop(db.get(), "cairn.migration");
  EXPECT_EQ(m["moved_transfer"], moved);
  EXPECT_EQ(m["moved_lazy"], 0);
  EXPECT_EQ(InstanceJson(db.get(), *id)["items"].get<uint64_t>(),
            moved + m["moved_mover"].get<uint64_t>());
  // A second transfer finds nothing left.
  EXPECT_EQ(*db->TransferCache(0, *id), 0u);
  ExpectAllFromCache(db.get(), 8000);
}

TEST(DbMigrationTest, BadRequestsAreRefusedWithTheirReason) {
  TempDir dir;
  auto db = OpenDb(dir.Sub("db"), kBase);
  auto expect = [](const absl::Status& s, absl::StatusCode code,
                   const char* words) {
    EXPECT_EQ(s.code(), code) << s;
    EXPECT_NE(s.message().find(words), std::string::npos) << s;
  };
  expect(db->AddCacheInstance(0).status(), absl::StatusCode::kInvalidArgument,
         "out of range");
  expect(db->AddCacheInstance(1ull << 50).status(),
         absl::StatusCode::kInvalidArgument, "out of range");
  expect(db->RemoveCacheInstance(99), absl::StatusCode::kInvalidArgument,
         "cache instance 99 does not exist");
  expect(db->TransferCache(2, 2).status(), absl::StatusCode::kInvalidArgument,
         "to itself");
  expect(db->TransferCache(99, 2).status(), absl::StatusCode::kInvalidArgument,
         "99 does not exist");
  expect(db->TransferCache(2, 99).status(), absl::StatusCode::kInvalidArgument,
         "99 does not exist");
  for (uint32_t id : {0u, 1u, 2u})
    ASSERT_TRUE(db->RemoveCacheInstance(id).ok());
  expect(db->RemoveCacheInstance(3), absl::StatusCode::kInvalidArgument,
         "last one");
  // Nothing above changed the data.
  EXPECT_EQ(Prop(db.get(), "cairn.migration")["instances"].size(), 1u);

  auto off = OpenDb(dir.Sub("off"), {{"cache.capacity_mb", "0"}});
  expect(off->AddCacheInstance(1 << 20).status(),
         absl::StatusCode::kUnimplemented, "cache is disabled");
  expect(off->RemoveCacheInstance(0), absl::StatusCode::kUnimplemented,
         "cache is disabled");
  EXPECT_EQ(Prop(off.get(), "cairn.migration")["state"], "stable");
}

TEST(DbMigrationTest, CapacityBeyondFreeSharedMemoryIsRefused) {
  struct statvfs st;
  ASSERT_EQ(statvfs("/dev/shm", &st), 0);
  // More than the whole of /dev/shm, not just what is free now: other tests
  // running beside this one may free segments between the two calls.
  const uint64_t total = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  if (total >= (32ull << 30)) GTEST_SKIP() << "/dev/shm is over 32 GiB";
  TempDir dir;
  auto db = OpenDb(dir.Sub("db"), kBase);
  absl::Status s = db->AddCacheInstance(total + (1 << 20)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("shared memory available"), std::string::npos);
  EXPECT_EQ(Prop(db.get(), "cairn.migration")["epoch"], 1);
}

TEST(DbMigrationTest, ReopenFindsTheSameLayoutWarm) {
  TempDir dir;
  {
    auto db = OpenDb(dir.Sub("db"), kBase);
    Load(db.get(), 5000);
    ASSERT_TRUE(db->AddCacheInstance(4 << 20).ok());
    ASSERT_TRUE(db->RemoveCacheInstance(0).ok());  // queues behind the add
    ASSERT_TRUE(db->FinishCacheMigration().ok());
    ExpectAll(db.get(), 5000);
  }
  auto db = OpenDb(dir.Sub("db"), kBase);
  nlohmann::json c = Prop(db.get(), "cairn.cache");
  EXPECT_EQ(c["epoch"], 3);
  ASSERT_EQ(c["instances"].size(), 4u);
  for (const auto& e : c["instances"]) {
    EXPECT_EQ(e["open"], "warm") << e.dump();
    EXPECT_NE(e["id"], 0);
  }
  ExpectAll(db.get(), 5000);
  EXPECT_EQ(TotalMisses(db.get()), 0u);
}

TEST(DbMigrationTest, CloseMidMigrationResumesOnReopen) {
  TempDir dir;
  Opts slow = kBase;
  slow.push_back({"migration.rate_items_per_sec", "1"});
  {
    auto db = OpenDb(dir.Sub("db"), slow);
    Load(db.get(), 5000);
    ASSERT_TRUE(db->AddCacheInstance(2 << 20).ok());
    for (int i = 0; i < 100; ++i) {  // some lazy moves before the close
      std::string v;
      ASSERT_TRUE(db->Get({}, Key(i), &v).ok());
    }
  }
  auto db = OpenDb(dir.Sub("db"), kBase);  // default rate: finishes quickly
  nlohmann::json m = Prop(db.get(), "cairn.migration");
  EXPECT_EQ(m["epoch"], 2);
  EXPECT_EQ(Prop(db.get(), "cairn.cache")["instances"][0]["open"], "warm");
  ASSERT_TRUE(WaitStable(db.get()));
  m = Prop(db.get(), "cairn.migration");
  EXPECT_GT(m["moved_total"].get<uint64_t>(), 100u);  // counted across runs
  ExpectAll(db.get(), 5000);
  EXPECT_EQ(TotalMisses(db.get()), 0u);
}

TEST(DbMigrationTest, ASecondChangeFinishesTheRunningMigrationFirst) {
  TempDir dir;
  Opts opts = kBase;
  opts.push_back({"migration.rate_items_per_sec", "1"});  // never by itself
  auto db = OpenDb(dir.Sub("db"), opts);
  Load(db.get(), 6000);
  absl::StatusOr<uint32_t> a = db->AddCacheInstance(2 << 20);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(Prop(db.get(), "cairn.migration")["state"], "migrating");
  // No reads: nothing moves lazily. The second add must first finish the
  // first migration (moving instance a's share), then start its own.
  absl::StatusOr<uint32_t> b = db->AddCacheInstance(2 << 20);
  ASSERT_TRUE(b.ok());
  nlohmann::json m = Prop(db.get(), "cairn.migration");
  EXPECT_EQ(m["state"], "migrating");
  EXPECT_EQ(m["epoch"], 3);
  EXPECT_EQ(m["from_epoch"], 2);
  EXPECT_EQ(m["previous_instances"].size(), 5u);
  EXPECT_GT(InstanceJson(db.get(), *a)["items"].get<uint64_t>(), 6000u / 10);
  ASSERT_TRUE(db->FinishCacheMigration().ok());
  ExpectAllFromCache(db.get(), 6000);
}

TEST(DbMigrationTest, ChangedOptionsStartAFreshLayout) {
  TempDir dir;
  {
    auto db = OpenDb(dir.Sub("db"), kBase);
    ASSERT_TRUE(db->AddCacheInstance(1 << 20).ok());
  }
  auto db = OpenDb(dir.Sub("db"),
                   {{"cache.capacity_mb", "8"}, {"cache.instances", "2"}});
  nlohmann::json c = Prop(db.get(), "cairn.cache");
  EXPECT_EQ(c["instances"].size(), 2u);
  EXPECT_EQ(c["epoch"], 3);  // never reused: segments of epoch 2 are stale
  EXPECT_NE(c["layout_note"].get<std::string>().find("changed"),
            std::string::npos);
  EXPECT_FALSE(SegmentExists(db->path(), 4));
}

// RELIABILITY R12: readers and writers check every result against a model
// while instances are added and removed. Each key has one writer, so its
// acknowledged history is exact: a read must return a value at least as new
// as the last write acknowledged before the read began, and a key reads as
// absent only if its last acknowledged write (or one that began since) is a
// delete.
void MigrationUnderLoad(const Opts& opts, int keys) {
  TempDir dir;
  auto db = OpenDb(dir.Sub("db"), opts);
  constexpr int kWriters = 2, kReaders = 2;
  // acked: seq << 1 | deleted. begun_delete: newest delete seq started.
  std::vector<std::atomic<uint64_t>> acked(keys), begun_delete(keys);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0}, writes{0};
  std::atomic<int> failures{0};
  auto fail = [&](const std::string& what) {
    if (failures.fetch_add(1) < 5) ADD_FAILURE() << what;
  };
  auto encode = [](int k, uint64_t seq) {
    return absl::StrCat(k, ":", seq, ":", std::string(60, 'v'));
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937 rng(w + 1);
      std::vector<uint64_t> seq(keys, 0);
      while (!stop.load()) {
        const int k =
            static_cast<int>(rng() % (keys / kWriters)) * kWriters + w;
        const uint64_t s = ++seq[k];
        const bool del = rng() % 8 == 0;
        absl::Status st;
        if (del) {
          begun_delete[k].store(s);
          st = db->Delete({}, Key(k));
        } else {
          st = db->Put({}, Key(k), encode(k, s));
        }
        if (!st.ok()) fail(absl::StrCat("write: ", st.ToString()));
        acked[k].store(s << 1 | (del ? 1 : 0));
        writes.fetch_add(1);
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937 rng(100 + r);
      std::string v;
      while (!stop.load()) {
        const int k = static_cast<int>(rng() % keys);
        const uint64_t before = acked[k].load();
        absl::Status st = db->Get({}, Key(k), &v);
        reads.fetch_add(1);
        const uint64_t want = before >> 1;
        if (absl::IsNotFound(st)) {
          const bool deleted = (before & 1) != 0 || before == 0;
          if (!deleted && begun_delete[k].load() <= want) {
            fail(absl::StrCat(Key(k), " missing; last acked put seq ", want));
          }
          continue;
        }
        if (!st.ok()) {
          fail(absl::StrCat("get: ", st.ToString()));
          continue;
        }
        std::vector<absl::string_view> parts = absl::StrSplit(v, ':');
        uint64_t got = 0;
        if (parts.size() != 3 || parts[0] != std::to_string(k) ||
            !absl::SimpleAtoi(parts[1], &got)) {
          fail(absl::StrCat(Key(k), " has a foreign value ", v));
          continue;
        }
        if (got < want) {
          fail(absl::StrCat(Key(k), " stale: seq ", got, " < acked ", want));
        }
      }
    });
  }
  // The changes: add and remove repeatedly for a bounded time.
  std::mt19937 rng(7);
  std::vector<uint32_t> ids = {0, 1};
  // At least 2 s and 8 changes, at most 15 s (sanitizers slow it down).
  const auto start = std::chrono::steady_clock::now();
  auto keep_going = [&](int changes) {
    const auto t = std::chrono::steady_clock::now() - start;
    return failures.load() == 0 && t < std::chrono::seconds(15) &&
           (changes < 8 || t < std::chrono::seconds(2));
  };
  int changes = 0;
  while (keep_going(changes)) {
    if (ids.size() < 2 || (ids.size() < 5 && rng() % 2 == 0)) {
      absl::StatusOr<uint32_t> id =
          db->AddCacheInstance((256 + rng() % 768) << 10);
      ASSERT_TRUE(id.ok()) << id.status();
      ids.push_back(*id);
    } else {
      const size_t i = rng() % ids.size();
      ASSERT_TRUE(db->RemoveCacheInstance(ids[i]).ok());
      ids.erase(ids.begin() + static_cast<long>(i));
    }
    if (rng() % 3 == 0 && ids.size() >= 2) {
      ASSERT_TRUE(db->TransferCache(ids[0], ids[1]).ok());
    }
    ++changes;
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
  }
  stop.store(true);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GE(changes, 4);
  EXPECT_GT(reads.load(), 1000u);
  EXPECT_GT(writes.load(), 1000u);
  // And afterwards, with everything quiet, every key matches the model.
  ASSERT_TRUE(db->FinishCacheMigration().ok());
  std::string v;
  for (int k = 0; k < keys; ++k) {
    const uint64_t a = acked[k].load();
    absl::Status st = db->Get({}, Key(k), &v);
    if (a == 0 || (a & 1) != 0) {
      EXPECT_TRUE(absl::IsNotFound(st)) << Key(k);
    } else {
      ASSERT_TRUE(st.ok()) << Key(k) << ": " << st;
      EXPECT_EQ(v, encode(k, a >> 1));
    }
  }
}

TEST(DbMigrationTest, R12MigrationUnderLoadNeverServesStale) {
  MigrationUnderLoad({{"cache.capacity_mb", "4"},
                      {"cache.instances", "2"},
                      {"migration.rate_items_per_sec", "5000"}},
                     4000);
}

TEST(DbMigrationTest, R12UnderEvictionPressureNeverServesStale) {
  // Far more data than cache: evictions race the moves.
  MigrationUnderLoad({{"cache.capacity_mb", "1"},
                      {"cache.instances", "2"},
                      {"migration.rate_items_per_sec", "5000"}},
                     30000);
}

}  // namespace
}  // namespace cairn
