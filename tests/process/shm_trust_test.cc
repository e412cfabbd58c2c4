// Shared-memory trust (RELIABILITY S3, R6), run for real as two users: the
// suite runs as root, so the other side drops to an unprivileged uid in a
// forked child. Each hostile case checks that the database opens, reads
// return exactly LevelDB's data, "cairn.cache" names the refusal, and
// nothing of the other user's is deleted. Without root they skip.
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "cairn/cairn.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/process/process_util.h"

namespace cairn::testing {
namespace {

constexpr uid_t kNobody = 65534;
constexpr uid_t kOtherUser = 65533;
constexpr int kKeys = 300;

#define SKIP_UNLESS_ROOT()                                                \
  if (geteuid() != 0)                                                     \
  GTEST_SKIP() << "needs root: plays two users by dropping to uid 65534 " \
                  "in a child"

std::string Key(int i) { return "trust-key-" + std::to_string(i); }
// "GOOD" in every value: an attacker's copy has it replaced by "EVIL".
std::string Value(int i) { return "GOOD-" + std::to_string(i) + "-payload"; }

cairn_db_t* Open(const std::string& path) {
  return OpenOrDie(path,
                   {{"cache.capacity_mb", "4"}, {"cache.instances", "1"}});
}

nlohmann::json Instance(cairn_db_t* db) {
  char* json = nullptr;
  EXPECT_EQ(cairn_property(db, "cairn.cache", &json, nullptr), CAIRN_OK);
  nlohmann::json j = nlohmann::json::parse(json);
  cairn_free(json);
  return j["instances"][0];
}

void Load(cairn_db_t* db) {
  for (int i = 0; i < kKeys; ++i) {
    const std::string k = Key(i), v = Value(i);
    ASSERT_EQ(
        cairn_put(db, nullptr, k.data(), k.size(), v.data(), v.size(), nullptr),
        CAIRN_OK);
  }
}

// "" if every key reads back its value, else the first difference.
std::string CheckReads(cairn_db_t* db) {
  for (int i = 0; i < kKeys; ++i) {
    const std::string k = Key(i);
    char* v = nullptr;
    size_t n = 0;
    if (cairn_get(db, nullptr, k.data(), k.size(), &v, &n, nullptr) !=
        CAIRN_OK) {
      return k + ": not found";
    }
    std::string got(v, n);
    cairn_free(v);
    if (got != Value(i)) return k + ": read '" + got + "'";
  }
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

std::string Poisoned(std::string bytes) {
  for (size_t at = 0; (at = bytes.find("GOOD-", at)) != std::string::npos;) {
    bytes.replace(at, 4, "EVIL");
  }
  return bytes;
}

// Runs `body` as `uid` (gid the same) in a forked child. Returns "" on
// success, else the child's complaint.
std::string RunAs(uid_t uid, const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  Child child([&] {
    close(fds[0]);
    std::string why;
    if (setgroups(0, nullptr) != 0 || setresgid(uid, uid, uid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
      why = "cannot drop to uid " + std::to_string(uid);
    } else {
      why = body();
    }
    (void)!write(fds[1], why.data(), why.size());
    return why.empty() ? 0 : 1;
  });
  close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fds[0]);
  const int rc = child.Wait();
  if (rc != 0 && out.empty()) out = "child exited " + std::to_string(rc);
  return out;
}

// Writes `bytes` to a new file at `path` with `mode` (as the caller).
std::string CreateFile(const std::string& path, const std::string& bytes,
                       mode_t mode) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, mode);
  if (fd < 0) return "cannot create " + path + ": " + strerror(errno);
  const bool ok = write(fd, bytes.data(), bytes.size()) ==
                  static_cast<ssize_t>(bytes.size());
  fchmod(fd, mode);
  close(fd);
  return ok ? "" : "short write to " + path;
}

struct FileInfo {
  bool exists = false;
  uid_t uid = 0;
  mode_t mode = 0;
};
FileInfo Lstat(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return {};
  return {true, st.st_uid, st.st_mode};
}

// Removes test-planted files at scope exit, even when an assertion fails.
class Planted {
 public:
  ~Planted() {
    for (const std::string& p : paths_) unlink(p.c_str());
  }
  void Add(const std::string& path) { paths_.push_back(path); }

 private:
  std::vector<std::string> paths_;
};

class ShmTrustTest : public ::testing::Test {
 protected:
  // Opens the database as root, loads it, closes it cleanly (its segment
  // stays for a warm restart), and keeps a poisoned copy of the segment.
  void SetUpDatabase() {
    path_ = dir_.Sub("db");
    cairn_db_t* db = Open(path_);
    Load(db);
    ASSERT_EQ(CheckReads(db), "");
    segment_ = "/dev/shm" + Instance(db)["segment"].get<std::string>();
    cairn_close(db);
    poisoned_ = Poisoned(ReadFile(segment_));
    ASSERT_NE(poisoned_.find("EVIL-"), std::string::npos);
  }

  // Reopens as root: every read must be LevelDB's, and the instance's open
  // detail must contain `refusal`.
  void ExpectRefusedAndCorrect(const std::string& refusal) {
    cairn_db_t* db = Open(path_);
    nlohmann::json inst = Instance(db);
    EXPECT_NE(inst["open"], "warm") << inst.dump();
    EXPECT_NE(inst["open_detail"].get<std::string>().find(refusal),
              std::string::npos)
        << inst.dump();
    EXPECT_EQ(CheckReads(db), "");
    EXPECT_EQ(CheckReads(db), "");  // the second pass from the cache
    cairn_close(db);
    std::ifstream log(path_ + "/LOG");
    std::string text((std::istreambuf_iterator<char>(log)),
                     std::istreambuf_iterator<char>());
    EXPECT_NE(text.find(refusal), std::string::npos) << "not logged";
  }

  TempDir dir_;
  Planted planted_;
  std::string path_, segment_, poisoned_;
};

TEST_F(ShmTrustTest, SegmentPrecreatedByAnotherUserIsNeverAttached) {
  SKIP_UNLESS_ROOT();
  SetUpDatabase();
  ASSERT_EQ(unlink(segment_.c_str()), 0);
  planted_.Add(segment_);
  ASSERT_EQ(
      RunAs(kNobody, [&] { return CreateFile(segment_, poisoned_, 0600); }),
      "");
  ExpectRefusedAndCorrect("owned by uid 65534");
  const FileInfo f = Lstat(segment_);
  EXPECT_TRUE(f.exists) << "another user's segment was deleted";
  EXPECT_EQ(f.uid, kNobody);
  EXPECT_TRUE(ReadFile(segment_) == poisoned_) << "another user's file changed";
}

TEST_F(ShmTrustTest, SegmentMadeWorldWritableAfterCleanCloseIsRefused) {
  SKIP_UNLESS_ROOT();
  SetUpDatabase();
  ASSERT_EQ(chmod(segment_.c_str(), 0666), 0);
  ASSERT_EQ(RunAs(kNobody,
                  [&]() -> std::string {
                    const int fd = open(segment_.c_str(), O_WRONLY);
                    if (fd < 0) return "cannot open the 0666 segment";
                    const bool ok =
                        pwrite(fd, poisoned_.data(), poisoned_.size(), 0) ==
                        static_cast<ssize_t>(poisoned_.size());
                    close(fd);
                    return ok ? "" : "short write";
                  }),
            "");
  ExpectRefusedAndCorrect("mode 0666, expected 0600");
  // It was ours: replaced by a private one.
  const FileInfo f = Lstat(segment_);
  ASSERT_TRUE(f.exists);
  EXPECT_EQ(f.mode & 07777, 0600u);
}

TEST_F(ShmTrustTest, OwnSegmentWithMode0640IsRefused) {
  SKIP_UNLESS_ROOT();
  SetUpDatabase();
  ASSERT_EQ(chmod(segment_.c_str(), 0640), 0);
  {
    std::ofstream out(segment_, std::ios::binary | std::ios::in);
    out.write(poisoned_.data(), poisoned_.size());
  }
  ExpectRefusedAndCorrect("mode 0640, expected 0600");
}

TEST_F(ShmTrustTest, SymlinkAtTheSegmentNameIsNotFollowed) {
  SKIP_UNLESS_ROOT();
  SetUpDatabase();
  ASSERT_EQ(unlink(segment_.c_str()), 0);
  const std::string target =
      "/dev/shm/cairn-trust-target-" + std::to_string(getpid());
  planted_.Add(target);
  planted_.Add(segment_);
  ASSERT_EQ(RunAs(kNobody,
                  [&]() -> std::string {
                    std::string why = CreateFile(target, poisoned_, 0666);
                    if (!why.empty()) return why;
                    if (symlink(target.c_str(), segment_.c_str()) != 0) {
                      return "symlink failed";
                    }
                    return "";
                  }),
            "");
  ExpectRefusedAndCorrect("symbolic link");
  const FileInfo link = Lstat(segment_);
  EXPECT_TRUE(link.exists && S_ISLNK(link.mode)) << "the symlink was removed";
  EXPECT_TRUE(ReadFile(target) == poisoned_) << "the link's target was written";
  // Its alternate segment is ours, and cairn_destroy removes it.
  cairn_db_t* db = Open(path_);
  const std::string alt =
      "/dev/shm" + Instance(db)["segment"].get<std::string>();
  cairn_close(db);
  EXPECT_NE(alt, segment_);
  ASSERT_EQ(cairn_destroy(path_.c_str(), nullptr), CAIRN_OK);
  EXPECT_FALSE(Lstat(alt).exists);
  EXPECT_TRUE(Lstat(segment_).exists) << "cairn_destroy removed a foreign name";
}

// The owner is unprivileged here, so a name squatted by another user
// (mode 0600) cannot even be opened.
TEST_F(ShmTrustTest, SquattedNameTheOwnerCannotOpenFallsBackToAnotherName) {
  SKIP_UNLESS_ROOT();
  path_ = dir_.Sub("db");
  ASSERT_EQ(chown(dir_.path().c_str(), kNobody, kNobody), 0);
  // As the owner: create, load, learn the segment's name, and free it.
  std::string name_file = dir_.Sub("segment-name");
  std::string why = RunAs(kNobody, [&]() -> std::string {
    cairn_db_t* db = Open(path_);
    Load(db);
    const std::string seg = Instance(db)["segment"].get<std::string>();
    cairn_close(db);
    std::ofstream(name_file) << seg;
    return unlink(("/dev/shm" + seg).c_str()) == 0 ? "" : "cannot unlink";
  });
  ASSERT_EQ(why, "");
  segment_ = "/dev/shm" + ReadFile(name_file);
  planted_.Add(segment_);
  ASSERT_EQ(
      RunAs(kOtherUser, [&] { return CreateFile(segment_, "squatted", 0600); }),
      "");
  std::string alternate;
  for (int round = 0; round < 2; ++round) {
    why = RunAs(kNobody, [&]() -> std::string {
      cairn_db_t* db = Open(path_);
      nlohmann::json inst = Instance(db);
      std::string detail = inst["open_detail"].get<std::string>();
      std::string seg = "/dev/shm" + inst["segment"].get<std::string>();
      std::string reads = CheckReads(db);
      reads += CheckReads(db);
      cairn_close(db);
      if (!reads.empty()) return reads;
      if (seg == segment_) return "uses the squatted name: " + inst.dump();
      if (detail.find("Permission denied") == std::string::npos) {
        return "refusal not named: " + inst.dump();
      }
      // The second open reattaches the alternate warm.
      if (round == 1 && inst["open"] != "warm") {
        return "alternate not reattached: " + inst.dump();
      }
      std::ofstream(name_file) << seg;
      return "";
    });
    ASSERT_EQ(why, "") << "round " << round;
    if (round == 0) alternate = ReadFile(name_file);
    EXPECT_EQ(ReadFile(name_file), alternate);
  }
  planted_.Add(alternate);
  const FileInfo f = Lstat(segment_);
  EXPECT_TRUE(f.exists && f.uid == kOtherUser) << "the squatter's file went";
  EXPECT_EQ(ReadFile(segment_), "squatted");
  EXPECT_EQ(RunAs(kNobody,
                  [&]() -> std::string {
                    return cairn_destroy(path_.c_str(), nullptr) == CAIRN_OK
                               ? ""
                               : "destroy failed";
                  }),
            "");
  EXPECT_FALSE(Lstat(alternate).exists) << "cairn_destroy left our segment";
}

TEST_F(ShmTrustTest, LockFileOfAnotherUserIsRefused) {
  SKIP_UNLESS_ROOT();
  path_ = dir_.Sub("db");
  cairn_db_t* db = Open(path_);
  cairn_close(db);
  const std::string lock = path_ + "/CAIRN.LOCK";
  ASSERT_EQ(chown(lock.c_str(), kNobody, kNobody), 0);
  cairn_options_t* o = cairn_options_create();
  ErrMsg err;
  db = nullptr;
  EXPECT_NE(cairn_open(o, path_.c_str(), &db, err.out()), CAIRN_OK);
  EXPECT_NE(err.str().find("owned by uid 65534"), std::string::npos)
      << err.str();
  // A symlink in its place is not followed either.
  ASSERT_EQ(unlink(lock.c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", lock.c_str()), 0);
  EXPECT_NE(cairn_open(o, path_.c_str(), &db, err.out()), CAIRN_OK);
  EXPECT_NE(err.str().find("symbolic link"), std::string::npos) << err.str();
  cairn_options_destroy(o);
  ASSERT_EQ(unlink(lock.c_str()), 0);
}

TEST(ShmTrustModeTest, OwnLockFileIsMadePrivate) {
  TempDir dir;
  const std::string path = dir.Sub("db");
  cairn_db_t* db = Open(path);
  cairn_close(db);
  const std::string lock = path + "/CAIRN.LOCK";
  ASSERT_EQ(chmod(lock.c_str(), 0666), 0);
  db = Open(path);
  cairn_close(db);
  EXPECT_EQ(Lstat(lock).mode & 07777, 0600u);
}

}  // namespace
}  // namespace cairn::testing
