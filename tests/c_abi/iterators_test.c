/* iterators_test: Iterators and snapshots. (harness.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "harness.h"

static void TestIterators(void) {
  char* err = NULL;
  char path[PATH_MAX];
  char key[16], value[16];
  cairn_iterator_t* it = NULL;
  StartPhase("iterators");
  cairn_db_t* db = OpenNew("iter", path, sizeof path);

  /* Empty database. */
  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  CheckIter(it, NULL, NULL); /* not positioned yet */
  api->iter_seek_to_first(it);
  CheckIter(it, NULL, NULL);
  api->iter_seek_to_last(it);
  CheckIter(it, NULL, NULL);
  CheckOk(api->iter_status(it, &err), &err);
  api->iter_destroy(it);

  for (int i = 0; i < 10; ++i) {
    snprintf(key, sizeof key, "k%d", i);
    snprintf(value, sizeof value, "v%d", i);
    Put(db, key, value);
  }
  Del(db, "k3");
  Del(db, "k7");
  Put(db, "k8", "v8-new");
  Put(db, "gone", "x"); /* before every key, then deleted */
  Del(db, "gone");
  Put(db, "zz", "x"); /* after every key, then deleted */
  Del(db, "zz");

  it = NULL;
  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  CheckCondition(it != NULL);
  CheckIter(it, NULL, NULL);
  api->iter_next(it); /* does nothing on an invalid iterator */
  CheckIter(it, NULL, NULL);
  api->iter_prev(it);
  CheckIter(it, NULL, NULL);

  api->iter_seek_to_first(it);
  CheckIter(it, "k0", "v0");
  CheckWalk(it, +1, "k0,k1,k2,k4,k5,k6,k8,k9");
  CheckIter(it, NULL, NULL);
  api->iter_next(it);
  CheckIter(it, NULL, NULL);
  api->iter_seek_to_last(it);
  CheckIter(it, "k9", "v9");
  CheckWalk(it, -1, "k9,k8,k6,k5,k4,k2,k1,k0");

  api->iter_seek(it, "k3", 2);
  CheckIter(it, "k4", "v4");
  api->iter_prev(it);
  CheckIter(it, "k2", "v2");
  api->iter_next(it);
  CheckIter(it, "k4", "v4");
  api->iter_seek(it, "k8", 2);
  CheckIter(it, "k8", "v8-new");
  api->iter_seek(it, "a", 1);
  CheckIter(it, "k0", "v0");
  api->iter_seek(it, "k9x", 3);
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "zz", 2);
  CheckIter(it, NULL, NULL);

  api->iter_seek_for_prev(it, "k7", 2);
  CheckIter(it, "k6", "v6");
  api->iter_next(it);
  CheckIter(it, "k8", "v8-new");
  api->iter_seek_for_prev(it, "k5", 2);
  CheckIter(it, "k5", "v5");
  api->iter_seek_for_prev(it, "k35", 3);
  CheckIter(it, "k2", "v2");
  api->iter_seek_for_prev(it, "zzz", 3);
  CheckIter(it, "k9", "v9");
  api->iter_seek_for_prev(it, "k0", 2);
  CheckIter(it, "k0", "v0");
  api->iter_seek_for_prev(it, "gone", 4);
  CheckIter(it, NULL, NULL);
  CheckOk(api->iter_status(it, &err), &err);
  CheckCondition(api->iter_status(it, NULL) == CAIRN_OK);

  /* The iterator sees the database as of its creation. */
  Put(db, "k3", "v3-back");
  Del(db, "k0");
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "k0,k1,k2,k4,k5,k6,k8,k9");
  api->iter_destroy(it);

  /* Bounds [k2, k6): the bound buffers are freed right after being set. */
  cairn_readoptions_t* ro = api->readoptions_create();
  char* lower = Strdup("k2");
  char* upper = Strdup("k6");
  CheckOk(api->readoptions_set_lower_bound(ro, lower, 2, &err), &err);
  CheckOk(api->readoptions_set_upper_bound(ro, upper, 2, &err), &err);
  Scribble(lower);
  Scribble(upper);
  it = NULL;
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, "k2", "v2");
  CheckWalk(it, +1, "k2,k3,k4,k5");
  api->iter_seek_to_last(it);
  CheckIter(it, "k5", "v5");
  CheckWalk(it, -1, "k5,k4,k3,k2");
  api->iter_seek(it, "a", 1); /* clamped to the lower bound */
  CheckIter(it, "k2", "v2");
  api->iter_seek(it, "k3", 2);
  CheckIter(it, "k3", "v3-back");
  api->iter_seek(it, "k6", 2);
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "k9", 2);
  CheckIter(it, NULL, NULL);
  api->iter_seek_for_prev(it, "zzz", 3); /* clamped to the upper bound */
  CheckIter(it, "k5", "v5");
  api->iter_seek_for_prev(it, "k6", 2);
  CheckIter(it, "k5", "v5");
  api->iter_seek_for_prev(it, "k2", 2);
  CheckIter(it, "k2", "v2");
  api->iter_seek_for_prev(it, "k1", 2);
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "k5", 2);
  api->iter_next(it); /* steps onto the upper bound: invalid */
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "k2", 2);
  api->iter_prev(it); /* steps below the lower bound: invalid */
  CheckIter(it, NULL, NULL);
  CheckOk(api->iter_status(it, &err), &err);
  api->iter_destroy(it);

  /* Only a lower bound, only an upper bound, then none (NULL, 0 clears). */
  CheckOk(api->readoptions_set_upper_bound(ro, NULL, 0, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "k2,k3,k4,k5,k6,k8,k9");
  api->iter_destroy(it);
  CheckOk(api->readoptions_set_lower_bound(ro, NULL, 0, &err), &err);
  CheckOk(api->readoptions_set_upper_bound(ro, "k4", 2, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_last(it);
  CheckWalk(it, -1, "k3,k2,k1");
  api->iter_destroy(it);
  CheckOk(api->readoptions_set_upper_bound(ro, NULL, 0, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "k1,k2,k3,k4,k5,k6,k8,k9");
  api->iter_destroy(it);

  /* An empty range [k5, k5) shows nothing. */
  CheckOk(api->readoptions_set_lower_bound(ro, "k5", 2, &err), &err);
  CheckOk(api->readoptions_set_upper_bound(ro, "k5", 2, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, NULL, NULL);
  api->iter_seek_to_last(it);
  CheckIter(it, NULL, NULL);
  api->iter_destroy(it);

  /* Bad arguments. */
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_lower_bound(ro, NULL, 2, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_upper_bound(ro, NULL, 2, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_lower_bound(NULL, "a", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_upper_bound(NULL, "a", 1, &err), &err);
  CheckCondition(api->readoptions_set_lower_bound(ro, NULL, 2, NULL) ==
                 CAIRN_INVALID_ARGUMENT);
  it = NULL;
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_create(NULL, ro, &it, &err),
              &err);
  CheckCondition(it == NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_create(db, ro, NULL, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_status(NULL, &err), &err);
  api->readoptions_destroy(ro);

  /* Borrowed key/value pointers stay valid until the iterator moves. */
  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  api->iter_seek(it, "k1", 2);
  size_t klen = 0, vlen = 0;
  const char* k = api->iter_key(it, &klen);
  const char* v = api->iter_value(it, &vlen);
  CheckCondition(klen == 2 && memcmp(k, "k1", 2) == 0);
  CheckCondition(vlen == 2 && memcmp(v, "v1", 2) == 0);
  CheckCondition(api->iter_key(it, &klen) != NULL && klen == 2);
  api->iter_destroy(it);

  api->close(db);
}

static void TestSnapshots(void) {
  char* err = NULL;
  char path[PATH_MAX];
  cairn_snapshot_t* snap = NULL;
  cairn_snapshot_t* snap2 = NULL;
  cairn_iterator_t* it = NULL;
  StartPhase("snapshots");
  cairn_db_t* db = OpenNew("snap", path, sizeof path);
  Put(db, "s1", "old");
  Put(db, "s3", "doomed");

  CheckOk(api->snapshot_create(db, &snap, &err), &err);
  CheckCondition(snap != NULL);
  Put(db, "s1", "new");
  Put(db, "s2", "later");
  Del(db, "s3");
  CheckOk(api->snapshot_create(db, &snap2, &err), &err);
  Put(db, "s4", "latest");

  cairn_readoptions_t* ro = api->readoptions_create();
  api->readoptions_set_snapshot(ro, snap);
  CheckGet(db, ro, "s1", "old");
  CheckGet(db, ro, "s2", NULL);
  CheckGet(db, ro, "s3", "doomed");
  CheckGet(db, ro, "s4", NULL);
  CheckGet(db, NULL, "s1", "new");
  CheckGet(db, NULL, "s2", "later");
  CheckGet(db, NULL, "s3", NULL);

  /* An iterator reads through the snapshot too, even if created later. */
  Put(db, "s5", "after-iter-snapshot");
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, "s1", "old");
  CheckWalk(it, +1, "s1,s3");
  api->iter_destroy(it);

  api->readoptions_set_snapshot(ro, snap2);
  CheckGet(db, ro, "s1", "new");
  CheckGet(db, ro, "s3", NULL);
  CheckGet(db, ro, "s4", NULL);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_last(it);
  CheckWalk(it, -1, "s2,s1");
  api->iter_destroy(it);

  /* NULL clears the snapshot: reads see the latest state again. */
  api->readoptions_set_snapshot(ro, NULL);
  CheckGet(db, ro, "s4", "latest");
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "s1,s2,s4,s5");
  api->iter_destroy(it);

  /* A snapshot only reads the database it was taken on. */
  {
    char other_path[PATH_MAX];
    char* value = (char*)"sentinel";
    size_t len = 7;
    cairn_db_t* other = OpenNew("snap-other", other_path, sizeof other_path);
    Put(other, "s1", "other");
    api->readoptions_set_snapshot(ro, snap);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(other, ro, "s1", 2, &value, &len, &err), &err);
    CheckCondition(value == NULL && len == 0);
    it = NULL;
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_create(other, ro, &it, &err),
                &err);
    CheckCondition(it == NULL);
    api->close(other);
  }

  /* Releasing one snapshot leaves the other usable. */
  api->snapshot_release(snap2);
  api->readoptions_set_snapshot(ro, snap);
  CheckGet(db, ro, "s3", "doomed");
  api->snapshot_release(snap);
  api->snapshot_release(NULL);

  CheckStatus(CAIRN_INVALID_ARGUMENT, api->snapshot_create(NULL, &snap, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->snapshot_create(db, NULL, &err),
              &err);
  CheckCondition(api->snapshot_create(NULL, &snap, NULL) ==
                 CAIRN_INVALID_ARGUMENT);

  api->readoptions_destroy(ro);
  api->close(db);
}

/* A JSON object: '{' first, '}' last (after trailing whitespace). */

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"iterators", TestIterators},
      {"snapshots", TestSnapshots},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
