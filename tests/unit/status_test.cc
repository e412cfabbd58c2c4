// Statuses carry the C ABI code they mean (engine/status.h).
#include "engine/status.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/db.h"
#include "gtest/gtest.h"
#include "leveldb/db.h"
#include "tests/unit/test_util.h"

namespace cairn {
namespace {

TEST(StatusTest, HelpersCarryTheirCode) {
  EXPECT_EQ(CarriedCairnCode(IoError("disk")),
            static_cast<int>(CairnCode::kIoError));
  EXPECT_EQ(CarriedCairnCode(BusyError("held")),
            static_cast<int>(CairnCode::kBusy));
  EXPECT_TRUE(IsBusy(BusyError("held")));
  EXPECT_FALSE(IsBusy(absl::FailedPreconditionError("not busy")));
  EXPECT_EQ(CarriedCairnCode(absl::InternalError("x")), 0);
  EXPECT_TRUE(WithCairnCode(absl::OkStatus(), CairnCode::kBusy).ok());
}

TEST(StatusTest, LevelDbIoErrorsAreIoErrorsWhateverTheirText) {
  // The text once decided Busy; now only a held LOCK found by its owner does.
  absl::Status s = FromLevelDB(
      leveldb::Status::IOError("lock /x/LOCK", "already held by process"), "");
  EXPECT_EQ(CarriedCairnCode(s), static_cast<int>(CairnCode::kIoError)) << s;
}

TEST(StatusTest, ADatabaseHeldByLevelDbIsBusyNamingThePid) {
  testing::TempDir dir;
  {
    auto db = testing::OpenTestDb(dir.Sub("db"), {{"cache.capacity_mb", "0"}});
    ASSERT_NE(db, nullptr);
  }
  // Another program holds LevelDB's LOCK the way LevelDB does (an fcntl
  // write lock; such locks belong to a process, so the holder is a child).
  int to_child[2], to_parent[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(to_parent), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = open((dir.Sub("db") + "/LOCK").c_str(), O_RDWR);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    char c = fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0 ? 'y' : 'n';
    (void)!write(to_parent[1], &c, 1);
    (void)!read(to_child[0], &c, 1);  // until the parent is done
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(to_parent[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  Options o;
  auto db = Db::Open(o, dir.Sub("db"));
  EXPECT_TRUE(!db.ok() && IsBusy(db.status())) << db.status();
  EXPECT_NE(db.status().message().find(std::to_string(pid)), std::string::npos)
      << db.status();
  (void)!write(to_child[1], "x", 1);
  int status = 0;
  waitpid(pid, &status, 0);
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]})
    close(fd);
}

}  // namespace
}  // namespace cairn
