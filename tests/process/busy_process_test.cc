// RELIABILITY R7: a database is owned by one process at a time. Another
// process gets CAIRN_BUSY naming the owner; a dead owner blocks no one.
#include <poll.h>
#include <unistd.h>

#include <string>

#include "cairn/cairn.h"
#include "gtest/gtest.h"
#include "tests/process/process_util.h"

namespace cairn::testing {
namespace {

// Waits up to `ms` for one byte on `fd`.
bool ReadByte(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, ms) != 1) return false;
  char c;
  return read(fd, &c, 1) == 1;
}

TEST(BusyProcessTest, SecondProcessIsBusyNamingOwnerPid) {
  TempDir dir;
  std::string path = dir.Sub("db");
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  Child owner([&] {
    cairn_db_t* db = OpenOrDie(path);
    if (cairn_put(db, nullptr, "k", 1, "owner", 5, nullptr) != CAIRN_OK) {
      return 2;
    }
    if (write(ready[1], "r", 1) != 1) return 3;
    ReadByte(done[0], 30000);  // bounded: never outlive a stuck parent long
    cairn_close(db);
    return 0;
  });
  ASSERT_TRUE(ReadByte(ready[0], 30000)) << "owner never became ready";

  ErrMsg err;
  cairn_options_t* o = cairn_options_create();
  cairn_db_t* db = nullptr;
  EXPECT_EQ(cairn_open(o, path.c_str(), &db, err.out()), CAIRN_BUSY);
  EXPECT_EQ(db, nullptr);
  EXPECT_NE(err.str().find("process " + std::to_string(owner.pid())),
            std::string::npos)
      << err.str();
  EXPECT_EQ(cairn_destroy(path.c_str(), err.out()), CAIRN_BUSY);

  ASSERT_EQ(write(done[1], "d", 1), 1);
  EXPECT_EQ(owner.Wait(), 0);
  ASSERT_EQ(cairn_open(o, path.c_str(), &db, err.out()), CAIRN_OK) << err.str();
  char* v = nullptr;
  size_t n = 0;
  ASSERT_EQ(cairn_get(db, nullptr, "k", 1, &v, &n, nullptr), CAIRN_OK);
  EXPECT_EQ(std::string(v, n), "owner");
  cairn_free(v);
  cairn_close(db);
  cairn_options_destroy(o);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

TEST(BusyProcessTest, KilledOwnerDoesNotBlockTheNextOpen) {
  TempDir dir;
  std::string path = dir.Sub("db");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  Child owner([&] {
    cairn_db_t* db = OpenOrDie(path);
    if (write(ready[1], "r", 1) != 1) return 3;
    pause();
    cairn_close(db);
    return 0;
  });
  ASSERT_TRUE(ReadByte(ready[0], 30000));
  owner.Kill();
  owner.Wait();
  ErrMsg err;
  cairn_db_t* db = nullptr;
  ASSERT_EQ(cairn_open(nullptr, path.c_str(), &db, err.out()), CAIRN_OK)
      << err.str();
  cairn_close(db);
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace cairn::testing
