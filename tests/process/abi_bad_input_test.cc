// RELIABILITY B2 through the C ABI: every bad input gets the right status and
// a message naming the culprit, writes nothing, and leaks nothing (ASan).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "cairn/cairn.h"
#include "gtest/gtest.h"
#include "tests/process/process_util.h"

namespace cairn::testing {
namespace {

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class AbiBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenOrDie(dir_.Sub("db"),
                    {{"max_key_size", "16"}, {"max_value_size", "64"}});
  }
  void TearDown() override { cairn_close(db_); }

  // Nothing was written: the op log is still empty.
  void ExpectNothingWritten() {
    char* stats = nullptr;
    ASSERT_EQ(cairn_property(db_, "cairn.stats", &stats, nullptr), CAIRN_OK);
    EXPECT_TRUE(Contains(stats, "\"last_sequence\":0")) << stats;
    cairn_free(stats);
  }

  TempDir dir_;
  cairn_db_t* db_ = nullptr;
  ErrMsg err_;
};

TEST_F(AbiBadInputTest, NullHandles) {
  char* v = nullptr;
  size_t n = 0;
  EXPECT_EQ(cairn_put(nullptr, nullptr, "k", 1, "v", 1, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "db is NULL")) << err_.str();
  EXPECT_EQ(cairn_get(nullptr, nullptr, "k", 1, &v, &n, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(v, nullptr);
  EXPECT_EQ(cairn_delete(nullptr, nullptr, "k", 1, nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_write(db_, nullptr, nullptr, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "batch")) << err_.str();
  EXPECT_EQ(cairn_property(nullptr, "cairn.stats", &v, nullptr),
            CAIRN_INVALID_ARGUMENT);
  cairn_iterator_t* it = nullptr;
  EXPECT_EQ(cairn_iter_create(nullptr, nullptr, &it, nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(it, nullptr);
  cairn_snapshot_t* snap = nullptr;
  EXPECT_EQ(cairn_snapshot_create(nullptr, &snap, nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_open(nullptr, nullptr, nullptr, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_options_set(nullptr, "x", "y", nullptr),
            CAIRN_INVALID_ARGUMENT);
  // Calls without a status must tolerate NULL.
  cairn_close(nullptr);
  cairn_iter_next(nullptr);
  EXPECT_EQ(cairn_iter_valid(nullptr), 0);
  EXPECT_EQ(cairn_writebatch_count(nullptr), 0u);
  cairn_snapshot_release(nullptr);
  cairn_free(nullptr);
  ExpectNothingWritten();
}

TEST_F(AbiBadInputTest, NullKeyWithLength) {
  char* v = nullptr;
  size_t n = 0;
  EXPECT_EQ(cairn_put(db_, nullptr, nullptr, 3, "v", 1, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "key is NULL")) << err_.str();
  EXPECT_EQ(cairn_put(db_, nullptr, "k", 1, nullptr, 5, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "value is NULL")) << err_.str();
  EXPECT_EQ(cairn_get(db_, nullptr, nullptr, 3, &v, &n, nullptr),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_delete(db_, nullptr, nullptr, 3, nullptr),
            CAIRN_INVALID_ARGUMENT);
  cairn_writebatch_t* b = cairn_writebatch_create();
  EXPECT_EQ(cairn_writebatch_put(b, nullptr, 2, "v", 1, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(cairn_writebatch_count(b), 0u);
  cairn_writebatch_destroy(b);
  cairn_readoptions_t* ro = cairn_readoptions_create();
  EXPECT_EQ(cairn_readoptions_set_lower_bound(ro, nullptr, 4, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "lower bound")) << err_.str();
  cairn_readoptions_destroy(ro);
  ExpectNothingWritten();
}

TEST_F(AbiBadInputTest, KeysAndValuesOverLimits) {
  std::string big_key(17, 'k'), big_value(65, 'v');
  EXPECT_EQ(cairn_put(db_, nullptr, "", 0, "v", 1, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "key is empty")) << err_.str();
  EXPECT_EQ(cairn_put(db_, nullptr, big_key.data(), big_key.size(), "v", 1,
                      err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "max_key_size (16)")) << err_.str();
  EXPECT_EQ(cairn_put(db_, nullptr, "k", 1, big_value.data(), big_value.size(),
                      err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "max_value_size (64)")) << err_.str();
  cairn_writebatch_t* b = cairn_writebatch_create();
  ASSERT_EQ(cairn_writebatch_put(b, "ok", 2, "v", 1, nullptr), CAIRN_OK);
  ASSERT_EQ(
      cairn_writebatch_put(b, big_key.data(), big_key.size(), "v", 1, nullptr),
      CAIRN_OK);  // limits are the database's: checked at write
  EXPECT_EQ(cairn_write(db_, nullptr, b, err_.out()), CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "batch operation 1")) << err_.str();
  cairn_writebatch_destroy(b);
  char* v = nullptr;
  size_t n = 0;
  EXPECT_EQ(cairn_get(db_, nullptr, "ok", 2, &v, &n, nullptr), CAIRN_NOT_FOUND);
  ExpectNothingWritten();
}

TEST_F(AbiBadInputTest, OptionsByName) {
  cairn_options_t* o = cairn_options_create();
  EXPECT_EQ(cairn_options_set(o, "no_such_option", "1", err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "no_such_option")) << err_.str();
  EXPECT_EQ(cairn_options_set(o, "write_buffer_size", "abc", err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err_.str(), "write_buffer_size")) << err_.str();
  EXPECT_TRUE(Contains(err_.str(), "'abc'")) << err_.str();
  EXPECT_EQ(cairn_options_set(o, "compression", nullptr, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  char* v = nullptr;
  ASSERT_EQ(cairn_options_get(o, "write_buffer_size", &v, nullptr), CAIRN_OK);
  EXPECT_STREQ(v, "4194304");  // unchanged by the failed set
  cairn_free(v);
  EXPECT_EQ(cairn_options_get(o, "nope", &v, err_.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_EQ(v, nullptr);
  cairn_options_destroy(o);
}

TEST(AbiOpenTest, PathProblems) {
  TempDir dir;
  ErrMsg err;
  cairn_db_t* db = reinterpret_cast<cairn_db_t*>(0x1);
  cairn_options_t* create = cairn_options_create();
  cairn_options_set(create, "create_if_missing", "true", nullptr);

  // Missing database without create_if_missing.
  EXPECT_EQ(cairn_open(nullptr, dir.Sub("missing").c_str(), &db, err.out()),
            CAIRN_NOT_FOUND);
  EXPECT_EQ(db, nullptr);
  EXPECT_TRUE(Contains(err.str(), dir.Sub("missing"))) << err.str();
  struct stat st;
  EXPECT_NE(stat(dir.Sub("missing").c_str(), &st), 0);  // nothing created

  // A path that is a file.
  std::ofstream(dir.Sub("file")) << "not a database";
  EXPECT_EQ(cairn_open(create, dir.Sub("file").c_str(), &db, err.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err.str(), "not a directory")) << err.str();

  // error_if_exists on an existing database.
  db = OpenOrDie(dir.Sub("db"));
  ASSERT_EQ(cairn_put(db, nullptr, "k", 1, "v", 1, nullptr), CAIRN_OK);
  cairn_close(db);
  cairn_options_t* excl = cairn_options_create();
  cairn_options_set(excl, "create_if_missing", "true", nullptr);
  cairn_options_set(excl, "error_if_exists", "true", nullptr);
  EXPECT_EQ(cairn_open(excl, dir.Sub("db").c_str(), &db, err.out()),
            CAIRN_INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(err.str(), "error_if_exists")) << err.str();
  cairn_options_destroy(excl);

  // Second open in the same process: busy, naming our pid.
  cairn_db_t* first = OpenOrDie(dir.Sub("db"));
  EXPECT_EQ(cairn_open(create, dir.Sub("db").c_str(), &db, err.out()),
            CAIRN_BUSY);
  EXPECT_TRUE(Contains(err.str(), std::to_string(getpid()))) << err.str();
  EXPECT_EQ(cairn_destroy(dir.Sub("db").c_str(), err.out()), CAIRN_BUSY);
  char* v = nullptr;
  size_t n = 0;
  EXPECT_EQ(cairn_get(first, nullptr, "k", 1, &v, &n, nullptr), CAIRN_OK);
  cairn_free(v);
  cairn_close(first);
  cairn_options_destroy(create);
  EXPECT_EQ(cairn_destroy(dir.Sub("db").c_str(), nullptr), CAIRN_OK);
}

// A directory this process may not enter. As root, permission checks do not
// apply, so the open runs in a child that drops to an unprivileged uid.
TEST(AbiOpenTest, DirectoryWithoutPermission) {
  TempDir dir;
  std::string db_path = dir.Sub("locked");
  ASSERT_EQ(mkdir(db_path.c_str(), 0700), 0);
  {
    cairn_db_t* db = OpenOrDie(db_path);
    cairn_close(db);
  }
  ASSERT_EQ(chmod(db_path.c_str(), 0), 0);
  Child child([&] {
    if (geteuid() == 0 && setuid(65534) != 0) return 10;
    cairn_options_t* o = cairn_options_create();
    cairn_options_set(o, "create_if_missing", "true", nullptr);
    cairn_db_t* db = nullptr;
    char* err = nullptr;
    cairn_status_t s = cairn_open(o, db_path.c_str(), &db, &err);
    cairn_options_destroy(o);
    bool named = err != nullptr && strstr(err, db_path.c_str()) != nullptr;
    cairn_free(err);
    if (s != CAIRN_IO_ERROR) return 20 + static_cast<int>(s);
    return named ? 0 : 11;
  });
  EXPECT_EQ(child.Wait(), 0);
  chmod(db_path.c_str(), 0700);
}

}  // namespace
}  // namespace cairn::testing
