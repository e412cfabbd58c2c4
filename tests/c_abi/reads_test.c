/* reads_test: ABI 1.2 — cairn_get_into and cairn_multi_get, reads into
 * the caller's buffers (harness.h). Each is checked from LevelDB and from
 * the cache (the second read of a key hits), with buffers too small and
 * exact, under a snapshot, and in a batch larger than the library's
 * internal chunk. */
#include "harness.h"

static void TestGetInto(void) {
  char* err = NULL;
  char path[PATH_MAX];
  char buf[64];
  size_t len = 0;
  StartPhase("get_into");
  cairn_db_t* db = OpenNew("read_into", path, sizeof path);
  Put(db, "k", "hello");
  for (int pass = 0; pass < 2; ++pass) { /* a fill, then a hit */
    memset(buf, '#', sizeof buf);
    len = 0;
    CheckOk(api->get_into(db, NULL, "k", 1, buf, sizeof buf, &len, &err), &err);
    CheckCondition(len == 5 && memcmp(buf, "hello", 5) == 0);
    CheckCondition(buf[5] == '#'); /* nothing written past the value */
    /* Too small: the length, and a prefix. */
    memset(buf, '#', sizeof buf);
    CheckOk(api->get_into(db, NULL, "k", 1, buf, 3, &len, &err), &err);
    CheckCondition(len == 5 && memcmp(buf, "hel#", 4) == 0);
    /* Only the length. */
    CheckOk(api->get_into(db, NULL, "k", 1, NULL, 0, &len, &err), &err);
    CheckCondition(len == 5);
  }
  len = 77;
  CheckStatus(CAIRN_NOT_FOUND,
              api->get_into(db, NULL, "nope", 4, buf, sizeof buf, &len, &err),
              &err);
  CheckCondition(len == 0);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->get_into(db, NULL, "k", 1, buf, sizeof buf, NULL, &err),
                 &err, "vallen", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->get_into(db, NULL, "k", 1, NULL, 4, &len, &err), &err,
                 "buf", NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->get_into(db, NULL, "", 0, buf, sizeof buf, &len, &err),
              &err);
  /* A snapshot read bypasses the cache and sees the old value. */
  {
    cairn_snapshot_t* snap = NULL;
    CheckOk(api->snapshot_create(db, &snap, &err), &err);
    Put(db, "k", "world!");
    cairn_readoptions_t* ro = api->readoptions_create();
    api->readoptions_set_snapshot(ro, snap);
    CheckOk(api->get_into(db, ro, "k", 1, buf, sizeof buf, &len, &err), &err);
    CheckCondition(len == 5 && memcmp(buf, "hello", 5) == 0);
    CheckOk(api->get_into(db, NULL, "k", 1, buf, sizeof buf, &len, &err), &err);
    CheckCondition(len == 6 && memcmp(buf, "world!", 6) == 0);
    api->readoptions_destroy(ro);
    api->snapshot_release(snap);
  }
  api->close(db);
}

static void TestMultiGet(void) {
  char* err = NULL;
  char path[PATH_MAX];
  StartPhase("multi_get");
  cairn_db_t* db = OpenNew("multi_get", path, sizeof path);
  /* multi_get: 150 keys (beyond one internal chunk of 64), every third
   * one missing, twice (LevelDB and fills, then cache hits). */
  enum { kKeys = 150 };
  static char keys[kKeys][16], vals[kKeys][16];
  const char* kp[kKeys];
  size_t kl[kKeys], caps[kKeys], lens[kKeys];
  char* vp[kKeys];
  cairn_status_t sts[kKeys];
  for (int i = 0; i < kKeys; ++i) {
    snprintf(keys[i], sizeof keys[i], "mk%03d", i);
    kp[i] = keys[i];
    kl[i] = strlen(keys[i]);
    if (i % 3 != 0) {
      char v[16];
      snprintf(v, sizeof v, "value-%d", i);
      Put(db, keys[i], v);
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < kKeys; ++i) {
      vp[i] = vals[i];
      caps[i] = sizeof vals[i];
      lens[i] = 999;
      sts[i] = CAIRN_INTERNAL;
    }
    CheckOk(api->multi_get(db, NULL, kKeys, kp, kl, vp, caps, lens, sts, &err),
            &err);
    for (int i = 0; i < kKeys; ++i) {
      char v[16];
      snprintf(v, sizeof v, "value-%d", i);
      if (i % 3 == 0) {
        CheckCondition(sts[i] == CAIRN_NOT_FOUND && lens[i] == 0);
      } else {
        CheckCondition(sts[i] == CAIRN_OK && lens[i] == strlen(v) &&
                       memcmp(vals[i], v, lens[i]) == 0);
      }
    }
  }
  /* A short buffer, an empty key (its own failure) and a missing key. */
  {
    const char* k3[3] = {"mk001", "", "mk000"};
    size_t l3[3] = {5, 0, 5};
    char small[4];
    char* v3[3] = {small, vals[1], vals[2]};
    size_t c3[3] = {sizeof small, sizeof vals[1], sizeof vals[2]};
    CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                   api->multi_get(db, NULL, 3, k3, l3, v3, c3, lens, sts, &err),
                   &err, "key", NULL);
    CheckCondition(sts[0] == CAIRN_OK && lens[0] == 7 &&
                   memcmp(small, "valu", 4) == 0);
    CheckCondition(sts[1] == CAIRN_INVALID_ARGUMENT && lens[1] == 0);
    CheckCondition(sts[2] == CAIRN_NOT_FOUND);
  }
  CheckOk(api->multi_get(db, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, &err),
          &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->multi_get(db, NULL, 2, kp, kl, NULL, caps, lens, sts, &err),
              &err);
  api->close(db);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"get_into", TestGetInto},
      {"multi_get", TestMultiGet},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
