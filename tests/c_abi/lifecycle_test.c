/* lifecycle_test: Handles that outlive close, ownership of a directory,
 * threads. (harness.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "harness.h"

static void TestCloseWithOpenHandles(void) {
  char* err = NULL;
  char path[PATH_MAX];
  cairn_iterator_t* it = NULL;
  cairn_iterator_t* snap_it = NULL;
  cairn_snapshot_t* snap = NULL;
  StartPhase("close_with_open_handles");
  cairn_db_t* db = OpenNew("close", path, sizeof path);
  Put(db, "a", "1");
  Put(db, "b", "2");

  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, "a", "1");
  CheckOk(api->snapshot_create(db, &snap, &err), &err);
  cairn_readoptions_t* ro = api->readoptions_create();
  api->readoptions_set_snapshot(ro, snap);
  CheckOk(api->iter_create(db, ro, &snap_it, &err), &err);
  api->iter_seek_to_last(snap_it);
  CheckIter(snap_it, "b", "2");

  api->close(db);

  /* Both iterators report UNAVAILABLE and move nowhere; nothing crashes. */
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(it, &err), &err);
  CheckCondition(api->iter_status(it, NULL) == CAIRN_UNAVAILABLE);
  api->iter_seek_to_first(it);
  api->iter_next(it);
  api->iter_prev(it);
  api->iter_seek_to_last(it);
  api->iter_seek(it, "a", 1);
  api->iter_seek_for_prev(it, "b", 1);
  CheckIter(it, NULL, NULL);
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(it, &err), &err);
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(snap_it, &err), &err);
  api->iter_next(snap_it);
  CheckIter(snap_it, NULL, NULL);

  /* The lock was released: the directory opens again, and the old handles
   * stay dead rather than reaching into the new database. */
  cairn_db_t* db2 = NULL;
  CheckOk(api->open(NULL, path, &db2, &err), &err);
  CheckGet(db2, NULL, "a", "1");
  api->iter_seek_to_first(it);
  CheckIter(it, NULL, NULL);
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(it, &err), &err);

  /* Reads through the dead snapshot fail rather than show newer data.
   * UNAVAILABLE (the snapshot was invalidated) and INVALID_ARGUMENT (it
   * belongs to the closed handle, not the reopened one) are both fair; the
   * message must still be there. */
  {
    char* value = (char*)"sentinel";
    size_t len = 7;
    cairn_iterator_t* dead_it = NULL;
    Put(db2, "a", "newer");
    cairn_status_t st = api->get(db2, ro, "a", 1, &value, &len, &err);
    CheckCondition(st == CAIRN_UNAVAILABLE || st == CAIRN_INVALID_ARGUMENT);
    CheckStatus(st, st, &err);
    CheckCondition(value == NULL && len == 0);
    st = api->iter_create(db2, ro, &dead_it, &err);
    CheckCondition(st == CAIRN_UNAVAILABLE || st == CAIRN_INVALID_ARGUMENT);
    CheckStatus(st, st, &err);
    CheckCondition(dead_it == NULL);
  }

  api->iter_destroy(it);
  api->iter_destroy(snap_it);
  api->snapshot_release(snap);
  api->readoptions_destroy(ro);
  CheckGet(db2, NULL, "a", "newer");
  CheckGet(db2, NULL, "b", "2");
  api->close(db2);
}

static void TestOwnership(void) {
  char* err = NULL;
  char path[PATH_MAX];
  char pid[32];
  static int not_a_db;
  cairn_db_t* db2 = NULL;
  StartPhase("ownership");
  cairn_db_t* db = OpenNew("owned", path, sizeof path);
  Put(db, "k", "v");

  /* error_if_exists on an existing database. */
  cairn_options_t* options = CreateOptions();
  CheckOk(api->options_set(options, "error_if_exists", "true", &err), &err);
  api->close(db);
  db2 = (cairn_db_t*)&not_a_db;
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->open(options, path, &db2, &err),
              &err);
  CheckCondition(db2 == NULL);
  api->options_destroy(options);

  /* A second open in the same process is BUSY and names our pid. */
  CheckOk(api->open(NULL, path, &db, &err), &err);
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  db2 = (cairn_db_t*)&not_a_db;
  CheckStatusMsg(CAIRN_BUSY, api->open(NULL, path, &db2, &err), &err, pid,
                 NULL);
  CheckCondition(db2 == NULL);
  options = CreateOptions();
  CheckStatusMsg(CAIRN_BUSY, api->open(options, path, &db2, &err), &err, pid,
                 NULL);
  CheckCondition(db2 == NULL);
  api->options_destroy(options);
  CheckGet(db, NULL, "k", "v"); /* the owner is unaffected */
  Put(db, "k2", "v2");

  /* Destroy refuses an open database. */
  CheckStatusMsg(CAIRN_BUSY, api->destroy(path, &err), &err, pid, NULL);
  CheckCondition(api->destroy(path, NULL) == CAIRN_BUSY);
  CheckGet(db, NULL, "k2", "v2");
  api->close(db);

  /* Destroy removes it; open without create_if_missing then finds nothing. */
  CheckOk(api->destroy(path, &err), &err);
  struct stat st;
  CheckCondition(stat(path, &st) != 0 && errno == ENOENT);
  db = (cairn_db_t*)&not_a_db;
  CheckStatus(CAIRN_NOT_FOUND, api->open(NULL, path, &db, &err), &err);
  CheckCondition(db == NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->destroy(NULL, &err), &err);

  /* A database created again at the same path starts empty. */
  db = OpenNew("owned", path, sizeof path);
  CheckGet(db, NULL, "k", NULL);
  api->close(db);
  CheckCondition(api->destroy(path, NULL) == CAIRN_OK);
}

/* ---- Threads ----------------------------------------------------------- */

/* One database handle and one snapshot shared by several threads; each
 * thread has its own batch, options and iterators, as cairn.h requires. */
enum { kThreads = 4, kKeysPerThread = 200, kSharedKeys = 50 };

typedef struct {
  cairn_db_t* db;
  const cairn_readoptions_t* snapshot_ro; /* shared, read-only */
  int id;
  int checks;
  char failure[512];
} Worker;

#define WorkerCheck(w, cond)                        \
  do {                                              \
    ++(w)->checks;                                  \
    if (!(cond) && (w)->failure[0] == '\0') {       \
      snprintf((w)->failure, sizeof(w)->failure,    \
               "%s:%d: thread %d: "                 \
               "%s",                                \
               __FILE__, __LINE__, (w)->id, #cond); \
    }                                               \
  } while (0)

/* Records the first unexpected status of a worker, freeing its message. */
static int WorkerStatus(Worker* w, int line, cairn_status_t expected,
                        cairn_status_t got, char** err) {
  ++w->checks;
  if (got != expected && w->failure[0] == '\0') {
    snprintf(w->failure, sizeof w->failure,
             "%s:%d: thread %d: expected %s, got %s: %s", __FILE__, line, w->id,
             api->status_name(expected), api->status_name(got),
             *err != NULL ? *err : "(no message)");
  }
  api->free_fn(*err);
  *err = NULL;
  return got == expected;
}

static void* RunWorker(void* arg) {
  Worker* w = arg;
  char* err = NULL;
  char key[32], value[32], prefix[16];
  snprintf(prefix, sizeof prefix, "t%d-", w->id);
  cairn_writebatch_t* batch = api->writebatch_create();
  for (int i = 0; i < kKeysPerThread; ++i) {
    snprintf(key, sizeof key, "t%d-%04d", w->id, i);
    snprintf(value, sizeof value, "v%d-%d", w->id, i);
    if (i % 2 == 0) {
      WorkerStatus(
          w, __LINE__, CAIRN_OK,
          api->put(w->db, NULL, key, strlen(key), value, strlen(value), &err),
          &err);
    } else {
      WorkerStatus(w, __LINE__, CAIRN_OK,
                   api->writebatch_put(batch, key, strlen(key), value,
                                       strlen(value), &err),
                   &err);
    }
    if (i % 20 == 19) {
      WorkerStatus(w, __LINE__, CAIRN_OK, api->write(w->db, NULL, batch, &err),
                   &err);
      api->writebatch_clear(batch);
    }
    /* Everyone overwrites the shared keys; the snapshot must not see it. */
    snprintf(key, sizeof key, "shared-%03d", i % kSharedKeys);
    WorkerStatus(
        w, __LINE__, CAIRN_OK,
        api->put(w->db, NULL, key, strlen(key), value, strlen(value), &err),
        &err);
    char* got = NULL;
    size_t len = 0;
    if (WorkerStatus(
            w, __LINE__, CAIRN_OK,
            api->get(w->db, w->snapshot_ro, key, strlen(key), &got, &len, &err),
            &err)) {
      WorkerCheck(w, len == 4 && memcmp(got, "base", 4) == 0);
    }
    api->free_fn(got);
  }
  api->writebatch_destroy(batch);

  /* Own keys read back; delete every third one. */
  for (int i = 0; i < kKeysPerThread; ++i) {
    char* got = NULL;
    size_t len = 0;
    snprintf(key, sizeof key, "t%d-%04d", w->id, i);
    snprintf(value, sizeof value, "v%d-%d", w->id, i);
    if (WorkerStatus(w, __LINE__, CAIRN_OK,
                     api->get(w->db, NULL, key, strlen(key), &got, &len, &err),
                     &err)) {
      WorkerCheck(w, len == strlen(value) && memcmp(got, value, len) == 0);
    }
    api->free_fn(got);
    if (i % 3 == 0) {
      WorkerStatus(w, __LINE__, CAIRN_OK,
                   api->del(w->db, NULL, key, strlen(key), &err), &err);
    }
  }

  /* A bounded scan of this thread's prefix sees exactly its live keys. */
  cairn_readoptions_t* ro = api->readoptions_create();
  char upper[16];
  snprintf(upper, sizeof upper, "t%d.", w->id); /* '.' follows '-' */
  WorkerStatus(
      w, __LINE__, CAIRN_OK,
      api->readoptions_set_lower_bound(ro, prefix, strlen(prefix), &err), &err);
  WorkerStatus(w, __LINE__, CAIRN_OK,
               api->readoptions_set_upper_bound(ro, upper, strlen(upper), &err),
               &err);
  cairn_iterator_t* it = NULL;
  if (WorkerStatus(w, __LINE__, CAIRN_OK,
                   api->iter_create(w->db, ro, &it, &err), &err)) {
    int n = 0, expected = 0;
    for (api->iter_seek_to_first(it); api->iter_valid(it); api->iter_next(it)) {
      while (expected % 3 == 0) ++expected;
      size_t klen = 0;
      const char* k = api->iter_key(it, &klen);
      snprintf(key, sizeof key, "t%d-%04d", w->id, expected);
      WorkerCheck(w, klen == strlen(key) && memcmp(k, key, klen) == 0);
      ++expected;
      ++n;
    }
    WorkerCheck(w, n == kKeysPerThread - (kKeysPerThread + 2) / 3);
    WorkerStatus(w, __LINE__, CAIRN_OK, api->iter_status(it, &err), &err);
    api->iter_destroy(it);
  }
  api->readoptions_destroy(ro);
  return NULL;
}

static void TestThreads(void) {
  char* err = NULL;
  char path[PATH_MAX], key[32];
  cairn_snapshot_t* snap = NULL;
  StartPhase("threads");
  cairn_db_t* db = OpenNew("threads", path, sizeof path);
  for (int i = 0; i < kSharedKeys; ++i) {
    snprintf(key, sizeof key, "shared-%03d", i);
    Put(db, key, "base");
  }
  CheckOk(api->snapshot_create(db, &snap, &err), &err);
  cairn_readoptions_t* ro = api->readoptions_create();
  api->readoptions_set_snapshot(ro, snap);

  Worker workers[kThreads];
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    memset(&workers[t], 0, sizeof workers[t]);
    workers[t].db = db;
    workers[t].snapshot_ro = ro;
    workers[t].id = t;
    CheckCondition(pthread_create(&threads[t], NULL, RunWorker, &workers[t]) ==
                   0);
  }
  for (int t = 0; t < kThreads; ++t) {
    CheckCondition(pthread_join(threads[t], NULL) == 0);
  }
  for (int t = 0; t < kThreads; ++t) {
    checks += workers[t].checks;
    if (workers[t].failure[0] != '\0') {
      fprintf(stderr, "%s\n", workers[t].failure);
      Fail(__FILE__, __LINE__, "a worker thread failed (above)");
    }
  }
  CheckCondition(CountKeys(db) ==
                 kSharedKeys +
                     kThreads * (kKeysPerThread - (kKeysPerThread + 2) / 3));
  api->readoptions_destroy(ro);
  api->snapshot_release(snap);
  api->close(db);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"close_with_open_handles", TestCloseWithOpenHandles},
      {"ownership", TestOwnership},
      {"threads", TestThreads},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
