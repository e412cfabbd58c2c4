// Db::Open with an injected environment: LevelDB's in-memory Env, a
// fault-injecting Env driving the write-failure branch of the commit path
// (RELIABILITY R2), a controlled clock, and each database's own background
// thread (background_env.h).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/background_env.h"
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

// Counts the background jobs LevelDB hands to the wrapped Env.
class ScheduleCountingEnv : public leveldb::EnvWrapper {
 public:
  ScheduleCountingEnv() : EnvWrapper(leveldb::Env::Default()) {}
  void Schedule(void (*function)(void*), void* arg) override {
    scheduled_.fetch_add(1);
    target()->Schedule(function, arg);
  }
  int scheduled() const { return scheduled_.load(); }

 private:
  std::atomic<int> scheduled_{0};
};

// Writes enough through a 64 KiB memtable to make LevelDB flush and compact
// several times, then reads everything back after a reopen.
void WriteThroughFlushes(const Options& o, const std::string& path,
                         leveldb::Env* env) {
  const std::string value(1000, 'v');
  {
    auto db = Db::Open(o, path, DbEnv{env, nullptr});
    ASSERT_TRUE(db.ok()) << db.status();
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE((*db)->Put({}, "key" + std::to_string(i), value).ok());
    }
  }
  auto db = Db::Open(o, path, DbEnv{env, nullptr});
  ASSERT_TRUE(db.ok()) << db.status();
  for (int i = 0; i < 2000; ++i) {
    std::string v;
    ASSERT_TRUE((*db)->Get({}, "key" + std::to_string(i), &v).ok()) << i;
    ASSERT_EQ(v, value);
  }
}

TEST(DbEnvTest, ConcurrentFlushesRunOnTheDatabasesOwnThread) {
  testing::TempDir dir;
  Options o = Defaults();
  o.write_buffer_size = 64 << 10;
  ScheduleCountingEnv own;
  ASSERT_TRUE(o.own_background_thread);  // the default
  WriteThroughFlushes(o, dir.Sub("own"), &own);
  EXPECT_EQ(own.scheduled(), 0) << "LevelDB's shared thread was used";

  ScheduleCountingEnv shared;
  o.own_background_thread = false;
  WriteThroughFlushes(o, dir.Sub("shared"), &shared);
  EXPECT_GT(shared.scheduled(), 0);
}

TEST(BackgroundEnvTest, ConcurrentJobsRunInOrderOnOneThreadAndAllRun) {
  struct Log {
    std::mutex mu;
    std::vector<int> order;
    std::set<std::thread::id> threads;
  } log;
  struct Job {
    Log* log;
    int n;
  };
  std::vector<Job> jobs;
  for (int i = 0; i < 100; ++i) jobs.push_back({&log, i});
  {
    std::unique_ptr<leveldb::Env> env =
        NewBackgroundEnv(leveldb::Env::Default(), "test-bg");
    for (Job& j : jobs) {
      env->Schedule(
          [](void* arg) {
            Job* job = static_cast<Job*>(arg);
            std::lock_guard<std::mutex> l(job->log->mu);
            job->log->order.push_back(job->n);
            job->log->threads.insert(std::this_thread::get_id());
          },
          &j);
    }
  }  // the destructor runs what is still queued, then joins
  ASSERT_EQ(log.order.size(), jobs.size());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(log.order[i], i);
  ASSERT_EQ(log.threads.size(), 1u);
  EXPECT_NE(*log.threads.begin(), std::this_thread::get_id());
}

int ThisThreadsNice() {
  return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
}

TEST(BackgroundEnvTest, JobsRunTheGivenIncrementBelowTheCreatorsPriority) {
  const int base = ThisThreadsNice();
  for (int increment : {0, 7, 19}) {
    std::atomic<int> seen{-100};
    {
      std::unique_ptr<leveldb::Env> env =
          NewBackgroundEnv(leveldb::Env::Default(), "test-bg", increment);
      env->Schedule(
          [](void* arg) {
            static_cast<std::atomic<int>*>(arg)->store(ThisThreadsNice());
          },
          &seen);
    }  // joined: the job ran
    EXPECT_EQ(seen.load(), std::min(19, base + increment)) << increment;
  }
  EXPECT_EQ(ThisThreadsNice(), base) << "the creating thread was changed";
}

// The nice value of every thread of this process named `name`.
std::vector<int> NiceOfThreadsNamed(const std::string& name) {
  std::vector<int> nices;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string comm_name;
    if (!std::getline(comm, comm_name) || comm_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)),
                     std::istreambuf_iterator<char>());
    // proc(5): after "pid (comm)", state is field 3 and nice field 19.
    std::istringstream fields(stat.substr(stat.rfind(')') + 1));
    std::string field;
    for (int i = 3; i <= 19; ++i) fields >> field;
    nices.push_back(fields ? std::stoi(field) : -100);
  }
  return nices;
}

TEST(DbEnvTest, BackgroundNiceLowersTheDatabasesOwnThreadOnly) {
  testing::TempDir dir;
  const int base = ThisThreadsNice();
  Options o = Defaults();
  o.background_nice = 5;
  auto db = Db::Open(o, dir.Sub("db"));
  ASSERT_TRUE(db.ok()) << db.status();
  // The thread sets its priority before it takes its first job: once a
  // flush (a job on that thread) has run, it is set.
  ASSERT_TRUE((*db)->Put({}, "k", "v").ok());
  ASSERT_TRUE((*db)->CompactRange(std::nullopt, std::nullopt).ok());
  const std::vector<int> nices = NiceOfThreadsNamed("cairn-compact");
  ASSERT_EQ(nices.size(), 1u) << "one database, one background thread";
  EXPECT_EQ(nices[0], std::min(19, base + 5));
  EXPECT_EQ(ThisThreadsNice(), base);
}

TEST(DbEnvTest, BackgroundNiceWithoutAnOwnThreadIsRefused) {
  testing::TempDir dir;
  Options o = Defaults();
  o.background_nice = 3;
  o.own_background_thread = false;
  auto db = Db::Open(o, dir.Sub("db"));
  ASSERT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(db.status().message().find("background_nice is 3"),
            std::string::npos)
      << db.status();
  EXPECT_NE(db.status().message().find("own_background_thread is false"),
            std::string::npos)
      << db.status();
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("db"))) << "nothing created";
}

}  // namespace
}  // namespace cairn
