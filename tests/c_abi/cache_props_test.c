/* cache_props_test: Properties, cache instances and orphan reclaim.
 * (harness.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "harness.h"

static int LooksLikeJsonObject(const char* s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) --n;
  return n >= 2 && s[0] == '{' && s[n - 1] == '}';
}

/* Cache instances (ABI 1.1): grow, transfer, shrink while the data stays
 * readable, and every bad request refused with its reason. */
static void TestCacheInstances(void) {
  char* err = NULL;
  char* value = NULL;
  char path[PATH_MAX];
  char key[32], val[32];
  uint32_t id = 12345;
  StartPhase("cache_instances");
  cairn_db_t* db = OpenNew("cache_instances", path, sizeof path);
  for (int i = 0; i < 500; ++i) {
    snprintf(key, sizeof key, "ck%d", i);
    snprintf(val, sizeof val, "cv%d", i);
    Put(db, key, val);
  }
  CheckOk(api->cache_add_instance(db, 1 << 20, &id, &err), &err);
  CheckCondition(id == 4); /* the default cache has instances 0..3 */
  CheckOk(api->property(db, "cairn.migration", &value, &err), &err);
  CheckCondition(value != NULL && LooksLikeJsonObject(value));
  CheckCondition(strstr(value, "\"epoch\":2") != NULL);
  api->free_fn(value);
  value = NULL;
  CheckOk(api->cache_transfer(db, 0, id, &err), &err);
  CheckOk(api->cache_remove_instance(db, 1, &err), &err);
  for (int i = 0; i < 500; ++i) {
    snprintf(key, sizeof key, "ck%d", i);
    snprintf(val, sizeof val, "cv%d", i);
    CheckGet(db, NULL, key, val);
  }
  CheckOk(api->property(db, "cairn.cache", &value, &err), &err);
  CheckCondition(value != NULL && strstr(value, "\"share\"") != NULL);
  api->free_fn(value);
  value = NULL;

  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_add_instance(db, 0, &id, &err), &err, "capacity",
                 "out of range");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_add_instance(db, UINT64_MAX, &id, &err), &err,
                 "capacity", NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->cache_add_instance(db, 1 << 20, NULL, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->cache_add_instance(NULL, 1 << 20, &id, &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_remove_instance(db, 77, &err), &err, "77",
                 "does not exist");
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->cache_remove_instance(NULL, 0, &err),
              &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cache_transfer(db, 2, 2, &err),
                 &err, "itself", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cache_transfer(db, 2, 77, &err),
                 &err, "77", NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->cache_transfer(NULL, 0, 2, &err),
              &err);
  CheckCondition(api->cache_transfer(db, 2, 2, NULL) == CAIRN_INVALID_ARGUMENT);
  api->close(db);

  cairn_options_t* opts = CreateOptions();
  CheckOk(api->options_set(opts, "cache.capacity_mb", "0", &err), &err);
  MakePath(path, sizeof path, "cache_off");
  cairn_db_t* off = NULL;
  CheckOk(api->open(opts, path, &off, &err), &err);
  api->options_destroy(opts);
  CheckStatusMsg(CAIRN_NOT_SUPPORTED,
                 api->cache_add_instance(off, 1 << 20, &id, &err), &err,
                 "disabled", NULL);
  CheckStatus(CAIRN_NOT_SUPPORTED, api->cache_remove_instance(off, 0, &err),
              &err);
  CheckStatus(CAIRN_NOT_SUPPORTED, api->cache_transfer(off, 0, 1, &err), &err);
  api->close(off);
}

static void TestProperties(void) {
  char* err = NULL;
  char* value = NULL;
  char path[PATH_MAX];
  StartPhase("properties");
  cairn_db_t* db = OpenNew("props", path, sizeof path);
  Put(db, "a", "1");

  CheckOk(api->property(db, "cairn.stats", &value, &err), &err);
  CheckCondition(value != NULL && LooksLikeJsonObject(value));
  api->free_fn(value);
  value = NULL;
  CheckOk(api->property(db, "cairn.options", &value, &err), &err);
  CheckCondition(value != NULL && LooksLikeJsonObject(value));
  CheckCondition(strstr(value, "\"create_if_missing\":true") != NULL ||
                 strstr(value, "\"create_if_missing\": true") != NULL);
  api->free_fn(value);
  value = NULL;
  CheckOk(api->property(db, "leveldb.stats", &value, &err), &err);
  CheckCondition(value != NULL && value[0] != '\0');
  api->free_fn(value);
  value = NULL;
  CheckCondition(api->property(db, "cairn.stats", &value, NULL) == CAIRN_OK);
  CheckCondition(value != NULL);
  api->free_fn(value);
  value = NULL;

  CheckStatusMsg(CAIRN_NOT_FOUND,
                 api->property(db, "cairn.no_such_property", &value, &err),
                 &err, "cairn.no_such_property", NULL);
  CheckCondition(value == NULL);
  CheckStatus(CAIRN_NOT_FOUND,
              api->property(db, "leveldb.no_such_property", &value, &err),
              &err);
  CheckStatus(CAIRN_NOT_FOUND, api->property(db, "", &value, &err), &err);
  CheckCondition(api->property(db, "nope", &value, NULL) == CAIRN_NOT_FOUND);
  CheckCondition(value == NULL);

  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->property(NULL, "cairn.stats", &value, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->property(db, NULL, &value, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->property(db, "cairn.stats", NULL, &err), &err);
  api->close(db);
}

/* The /dev/shm path of `db`'s first cache segment (from "cairn.cache"). */
static void SegmentPath(cairn_db_t* db, char* out, size_t out_size) {
  char* err = NULL;
  char* json = NULL;
  CheckOk(api->property(db, "cairn.cache", &json, &err), &err);
  const char* at = strstr(json, "\"segment\":\"");
  CheckCondition(at != NULL);
  at += strlen("\"segment\":\"");
  const char* end = strchr(at, '"');
  CheckCondition(end != NULL && (size_t)(end - at) + 9 < out_size);
  snprintf(out, out_size, "/dev/shm%.*s", (int)(end - at), at);
  api->free_fn(json);
}

/* Orphan reclaim (ABI 1.2): a database closed cleanly keeps its segments;
 * once its directory is gone they are reclaimed, and an open database's
 * segments never are. */
static void TestGcSegments(void) {
  char* err = NULL;
  char path[PATH_MAX], open_path[PATH_MAX], cmd[PATH_MAX + 16];
  char segment[PATH_MAX], kept_segment[PATH_MAX];
  uint32_t removed = 0;
  StartPhase("gc_segments");
  CheckOk(api->gc_segments(NULL, &err), &err);
  cairn_db_t* kept = OpenNew("gc_kept", open_path, sizeof open_path);
  cairn_db_t* db = OpenNew("gc_orphan", path, sizeof path);
  Put(db, "k", "v");
  SegmentPath(db, segment, sizeof segment);
  SegmentPath(kept, kept_segment, sizeof kept_segment);
  api->close(db);
  CheckCondition(access(segment, F_OK) == 0); /* kept for a warm restart */
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  CheckCondition(system(cmd) == 0);
  /* Another process may reclaim it first: check the file, not the count. */
  CheckOk(api->gc_segments(&removed, &err), &err);
  CheckCondition(access(segment, F_OK) != 0);
  CheckCondition(access(kept_segment, F_OK) == 0);
  Put(kept, "k", "v");
  CheckGet(kept, NULL, "k", "v");
  api->close(kept);
  CheckOk(api->destroy(open_path, &err), &err);
  CheckCondition(access(kept_segment, F_OK) != 0);
}

/* cairn_check on a healthy database: CAIRN_OK and a JSON report. Damaged
 * databases are tested in tests/unit/corruption_format_test.cc. */
static void TestCheck(void) {
  char* err = NULL;
  char* report = NULL;
  char path[PATH_MAX];
  StartPhase("check");
  cairn_db_t* db = OpenNew("check", path, sizeof path);
  Put(db, "a", "1");
  Put(db, "b", "2");
  CheckOk(api->check(db, &report, &err), &err);
  CheckCondition(report != NULL && LooksLikeJsonObject(report));
  CheckCondition(strstr(report, "\"clean\":true") != NULL);
  CheckCondition(strstr(report, "\"problems\":[]") != NULL);
  api->free_fn(report);
  report = NULL;
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->check(NULL, &report, &err), &err);
  CheckCondition(report == NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->check(db, NULL, &err), &err);
  api->close(db);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"cache_instances", TestCacheInstances},
      {"properties", TestProperties},
      {"gc_segments", TestGcSegments},
      {"check", TestCheck},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
