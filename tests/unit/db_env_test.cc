// Db::Open with an injected environment: LevelDB's in-memory Env, a
// fault-injecting Env driving the write-failure branch of the commit path
// (RELIABILITY R2), and a controlled clock.
#include <filesystem>
#include <memory>

#include "engine/db.h"
#include "gtest/gtest.h"
#include "leveldb/helpers/memenv.h"
#include "tests/unit/fault_env.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

Options Defaults() {
  Options o;
  o.create_if_missing = true;
  o.cache_capacity_mb = 0;
  return o;
}

TEST(DbEnvTest, InMemoryEnvKeepsDataAcrossReopen) {
  testing::TempDir dir;
  std::unique_ptr<leveldb::Env> mem(
      leveldb::NewMemEnv(leveldb::Env::Default()));
  DbEnv env{mem.get(), nullptr};
  {
    auto db = Db::Open(Defaults(), dir.Sub("db"), env);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Put({}, "k", "v").ok());
  }
  auto db = Db::Open(Defaults(), dir.Sub("db"), env);
  ASSERT_TRUE(db.ok()) << db.status();
  std::string v;
  ASSERT_TRUE((*db)->Get({}, "k", &v).ok());
  EXPECT_EQ(v, "v");
  EXPECT_EQ((*db)->LastSequence(), 1u);
  // LevelDB's files live in the Env, not on disk.
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("db") + "/CURRENT"));
}

TEST(DbEnvTest, FailedWriteCommitsNothingAndReportsIoError) {
  testing::TempDir dir;
  testing::FaultEnv fault;
  Options o = Defaults();
  o.cache_capacity_mb = 4;
  o.cache_instances = 1;
  {
    auto db = Db::Open(o, dir.Sub("db"), DbEnv{&fault, nullptr});
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->Put({}, "before", "1").ok());
    const uint64_t seq = (*db)->LastSequence();
    fault.SetWritesFail(true);
    WriteOptions sync;
    sync.sync = true;
    absl::Status s = (*db)->Put(sync, "lost", "2");
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), absl::StatusCode::kUnknown) << s;  // an I/O error
    EXPECT_GT(fault.failed_writes(), 0);
    // Neither the op log nor the cache saw the failed write.
    EXPECT_EQ((*db)->LastSequence(), seq);
    std::string v;
    EXPECT_FALSE((*db)->Get({}, "lost", &v).ok());
    EXPECT_NE((*db)->Property("cairn.stats")->find("\"write_errors\":1"),
              std::string::npos);
    fault.SetWritesFail(false);
  }
  auto db = Db::Open(o, dir.Sub("db"), DbEnv{&fault, nullptr});
  ASSERT_TRUE(db.ok()) << db.status();
  std::string v;
  EXPECT_TRUE((*db)->Get({}, "before", &v).ok());
  EXPECT_TRUE(absl::IsNotFound((*db)->Get({}, "lost", &v)));
  auto log = (*db)->ReadOpLog(1, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].key, "before");
}

TEST(DbEnvTest, UnsyncedWritesMayBeLostButSyncedOnesSurvive) {
  testing::TempDir dir;
  testing::FaultEnv fault;
  WriteOptions sync;
  sync.sync = true;
  {
    auto db = Db::Open(Defaults(), dir.Sub("db"), DbEnv{&fault, nullptr});
    ASSERT_TRUE(db.ok()) << db.status();
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE((*db)->Put(sync, "synced" + std::to_string(i), "v").ok());
    }
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE((*db)->Put({}, "unsynced" + std::to_string(i), "v").ok());
    }
  }
  fault.DropUnsyncedData();
  auto db = Db::Open(Defaults(), dir.Sub("db"), DbEnv{&fault, nullptr});
  ASSERT_TRUE(db.ok()) << db.status();
  std::string v;
  for (int i = 0; i < 50; ++i) {
    EXPECT_TRUE((*db)->Get({}, "synced" + std::to_string(i), &v).ok()) << i;
  }
  // Whatever survived, the op log and the records agree.
  auto log = (*db)->ReadOpLog(1, 1000);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), (*db)->LastSequence());
  for (const OpEntry& e : *log) {
    absl::StatusOr<Record> r = (*db)->GetRecord({}, e.key);
    ASSERT_TRUE(r.ok()) << e.key;
    EXPECT_EQ(r->version, e.version);
  }
}

TEST(DbEnvTest, InjectedClockDrivesVersions) {
  testing::TempDir dir;
  uint64_t now_ms = 1'000'000;
  DbEnv env;
  env.now = [&] { return now_ms; };
  auto db = Db::Open(Defaults(), dir.Sub("db"), env);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Put({}, "k", "v").ok());
  EXPECT_EQ(HybridClock::PhysicalMillis((*db)->GetRecord({}, "k")->version.hlc),
            now_ms);
}

}  // namespace
}  // namespace cairn
