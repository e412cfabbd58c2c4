#include "engine/db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "engine/db_iterator.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

using ::cairn::testing::TempDir;

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen(Options o = Options()) {
    db_.reset();
    o.create_if_missing = true;
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(o, dir_.Sub("db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  std::string Get(std::string_view key) {
    std::string v;
    absl::Status s = db_->Get(ReadOptions(), key, &v);
    if (absl::IsNotFound(s)) return "NOT_FOUND";
    EXPECT_TRUE(s.ok()) << s;
    return v;
  }

  TempDir dir_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, PutGetDeleteOverwrite) {
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(db_->Put({}, "a", "2").ok());
  EXPECT_EQ(Get("a"), "2");
  ASSERT_TRUE(db_->Delete({}, "a").ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("never"), "NOT_FOUND");
  ASSERT_TRUE(db_->Delete({}, "never").ok());  // deleting a missing key is ok
  ASSERT_TRUE(db_->Put({}, "empty", "").ok());
  EXPECT_EQ(Get("empty"), "");
}

TEST_F(DbTest, BinaryKeysAndValues) {
  std::string k("a\0b\xff", 4), v("\0\0\x01", 3);
  ASSERT_TRUE(db_->Put({}, k, v).ok());
  EXPECT_EQ(Get(k), v);
  EXPECT_EQ(Get(std::string("a\0b", 3)), "NOT_FOUND");
}

TEST_F(DbTest, VersionsIncreaseAndTombstonesAreVersioned) {
  Version v1, v2;
  std::string value;
  ASSERT_TRUE(db_->Put({}, "k", "1").ok());
  ASSERT_TRUE(db_->Get({}, "k", &value, &v1).ok());
  ASSERT_TRUE(db_->Put({}, "k", "2").ok());
  ASSERT_TRUE(db_->Get({}, "k", &value, &v2).ok());
  EXPECT_LT(v1, v2);
  EXPECT_EQ(v1.node, db_->node_id());
  ASSERT_TRUE(db_->Delete({}, "k").ok());
  absl::StatusOr<Record> r = db_->GetRecord({}, "k");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, OpKind::kDelete);
  EXPECT_GT(r->version, v2);
}

TEST_F(DbTest, LimitsRejectAndWriteNothing) {
  Options o;
  o.max_key_size = 8;
  o.max_value_size = 16;
  Reopen(o);
  uint64_t seq = db_->LastSequence();
  EXPECT_EQ(db_->Put({}, "", "v").code(), absl::StatusCode::kInvalidArgument);
  absl::Status s = db_->Put({}, "123456789", "v");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("max_key_size"), std::string::npos);
  s = db_->Put({}, "k", std::string(17, 'x'));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("max_value_size"), std::string::npos);
  EXPECT_EQ(db_->LastSequence(), seq);
  EXPECT_EQ(Get("k"), "NOT_FOUND");
}

TEST_F(DbTest, BatchIsAtomicAndLaterOpWins) {
  WriteBatch b;
  b.Put("x", "1");
  b.Put("y", "2");
  b.Delete("x");
  b.Put("y", "3");
  ASSERT_TRUE(db_->Write({}, b).ok());
  EXPECT_EQ(Get("x"), "NOT_FOUND");
  EXPECT_EQ(Get("y"), "3");
  EXPECT_EQ(db_->LastSequence(), 4u);
}

TEST_F(DbTest, BatchWithOneBadOpWritesNothing) {
  WriteBatch b;
  b.Put("good", "1");
  b.Put("", "bad");
  absl::Status s = db_->Write({}, b);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("batch operation 1"),
            std::string::npos);
  EXPECT_EQ(Get("good"), "NOT_FOUND");
  EXPECT_EQ(db_->LastSequence(), 0u);
}

TEST_F(DbTest, DataSequenceAndNodeIdSurviveReopen) {
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  ASSERT_TRUE(db_->Put({}, "b", "2").ok());
  Version before;
  std::string v;
  ASSERT_TRUE(db_->Get({}, "b", &v, &before).ok());
  uint32_t node = db_->node_id();
  Reopen();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(db_->LastSequence(), 2u);
  EXPECT_EQ(db_->node_id(), node);
  ASSERT_TRUE(db_->Put({}, "b", "3").ok());
  Version after;
  ASSERT_TRUE(db_->Get({}, "b", &v, &after).ok());
  EXPECT_GT(after, before);
  EXPECT_EQ(db_->LastSequence(), 3u);
}

TEST_F(DbTest, NodeIdOptionOverrides) {
  Options o;
  o.node_id = 77;
  Reopen(o);
  EXPECT_EQ(db_->node_id(), 77u);
  Reopen();
  EXPECT_EQ(db_->node_id(), 77u);  // persisted
}

TEST_F(DbTest, SecondOpenInSameProcessIsBusyNamingPid) {
  Options o;
  absl::StatusOr<std::unique_ptr<Db>> second = Db::Open(o, dir_.Sub("db"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      std::string(second.status().message()).find(std::to_string(getpid())),
      std::string::npos)
      << second.status();
  EXPECT_EQ(Db::Destroy(dir_.Sub("db")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(DbTest, DestroyRemovesEverything) {
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  db_.reset();
  ASSERT_TRUE(Db::Destroy(dir_.Sub("db")).ok());
  struct stat st;
  EXPECT_NE(stat(dir_.Sub("db").c_str(), &st), 0);
  EXPECT_TRUE(Db::Destroy(dir_.Sub("db")).ok());  // idempotent
}

TEST(DbOpenTest, MissingDatabaseWithoutCreateIsNotFoundAndWritesNothing) {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(Options(), dir.Sub("x"));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(db.status().message()).find("create_if_missing"),
            std::string::npos);
  struct stat st;
  EXPECT_NE(stat(dir.Sub("x").c_str(), &st), 0);
  // An existing empty directory is not a database either.
  db = Db::Open(Options(), dir.path());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(stat(dir.Sub("CAIRN.LOCK").c_str(), &st), 0);
}

TEST(DbOpenTest, ErrorIfExists) {
  TempDir dir;
  Options o;
  o.create_if_missing = true;
  ASSERT_TRUE(Db::Open(o, dir.Sub("db")).ok());
  o.error_if_exists = true;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(o, dir.Sub("db"));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(db.status().message()).find("error_if_exists"),
            std::string::npos);
}

TEST(DbOpenTest, PathThatIsAFile) {
  TempDir dir;
  std::ofstream(dir.Sub("file")) << "x";
  Options o;
  o.create_if_missing = true;
  absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(o, dir.Sub("file"));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(db.status().message()).find(dir.Sub("file")),
            std::string::npos);
}

TEST(DbOpenTest, CreatedDirectoryIsPrivate) {
  TempDir dir;
  Options o;
  o.create_if_missing = true;
  ASSERT_TRUE(Db::Open(o, dir.Sub("a/b/db")).ok());
  struct stat st;
  ASSERT_EQ(stat(dir.Sub("a/b/db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(DbTest, SnapshotIsolatesLaterWrites) {
  ASSERT_TRUE(db_->Put({}, "k", "old").ok());
  absl::StatusOr<std::shared_ptr<Snapshot>> snap = db_->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(db_->Put({}, "k", "new").ok());
  ASSERT_TRUE(db_->Put({}, "k2", "x").ok());
  ReadOptions ro;
  ro.snapshot = snap->get();
  std::string v;
  ASSERT_TRUE(db_->Get(ro, "k", &v).ok());
  EXPECT_EQ(v, "old");
  EXPECT_TRUE(absl::IsNotFound(db_->Get(ro, "k2", &v)));
}

TEST_F(DbTest, CloseInvalidatesIteratorsAndSnapshots) {
  ASSERT_TRUE(db_->Put({}, "k", "v").ok());
  absl::StatusOr<std::unique_ptr<DbIterator>> it = db_->NewIterator({});
  ASSERT_TRUE(it.ok());
  absl::StatusOr<std::shared_ptr<Snapshot>> snap = db_->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  (*it)->SeekToFirst();
  ASSERT_TRUE((*it)->Valid());
  db_.reset();
  EXPECT_FALSE((*it)->Valid());
  (*it)->SeekToFirst();
  (*it)->Next();
  EXPECT_FALSE((*it)->Valid());
  EXPECT_EQ((*it)->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*snap)->handle(), nullptr);
  it->reset();
  snap->reset();  // releasing after close is safe
}

TEST_F(DbTest, ReadThroughReleasedSnapshotFails) {
  absl::StatusOr<std::shared_ptr<Snapshot>> snap = db_->GetSnapshot();
  ASSERT_TRUE(snap.ok());
  Snapshot* raw = snap->get();
  ASSERT_TRUE(db_->Put({}, "k", "v").ok());
  // Another database's snapshot is refused.
  TempDir other_dir;
  Options o;
  o.create_if_missing = true;
  absl::StatusOr<std::unique_ptr<Db>> other = Db::Open(o, other_dir.Sub("db"));
  ASSERT_TRUE(other.ok());
  ReadOptions ro;
  ro.snapshot = raw;
  std::string v;
  EXPECT_EQ((*other)->Get(ro, "k", &v).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(DbTest, StatsAndProperties) {
  ASSERT_TRUE(db_->Put({}, "a", "1").ok());
  ASSERT_TRUE(db_->Delete({}, "a").ok());
  std::string v;
  (void)db_->Get({}, "a", &v);
  absl::StatusOr<std::string> stats = db_->Property("cairn.stats");
  ASSERT_TRUE(stats.ok());
  nlohmann::json j = nlohmann::json::parse(*stats);
  EXPECT_EQ(j["puts"], 1);
  EXPECT_EQ(j["deletes"], 1);
  EXPECT_EQ(j["gets"], 1);
  EXPECT_EQ(j["get_misses"], 1);
  EXPECT_EQ(j["last_sequence"], 2);
  EXPECT_TRUE(j["leveldb"].contains("files_per_level"));
  absl::StatusOr<std::string> opts = db_->Property("cairn.options");
  ASSERT_TRUE(opts.ok());
  EXPECT_EQ(nlohmann::json::parse(*opts)["create_if_missing"], true);
  EXPECT_TRUE(db_->Property("leveldb.stats").ok());
  EXPECT_EQ(db_->Property("cairn.nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(DbTest, ConcurrentWritersKeepSequencesDenseAndOrdered) {
  // The test reads the whole log from sequence 1: the trimmer must keep it.
  Options keep_all;
  keep_all.oplog_retain_ops = 0;
  Reopen(keep_all);
  constexpr int kThreads = 4, kPer = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        ASSERT_TRUE(
            db_->Put({}, "k" + std::to_string(i % 10), std::to_string(t)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(db_->LastSequence(), uint64_t{kThreads * kPer});
  absl::StatusOr<std::vector<OpEntry>> log = db_->ReadOpLog(1, 1 << 20);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), size_t{kThreads * kPer});
  for (size_t i = 1; i < log->size(); ++i) {
    EXPECT_EQ((*log)[i].sequence, (*log)[i - 1].sequence + 1);
    EXPECT_LT((*log)[i - 1].version, (*log)[i].version);
  }
  // The stored record of each key is the one with the newest version.
  for (int k = 0; k < 10; ++k) {
    std::string key = "k" + std::to_string(k);
    Version newest;
    for (const OpEntry& e : *log) {
      if (e.key == key) newest = std::max(newest, e.version);
    }
    absl::StatusOr<Record> r = db_->GetRecord({}, key);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->version, newest);
  }
}

}  // namespace
}  // namespace cairn
